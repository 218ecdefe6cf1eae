import { FactoryError, type ExecRunner } from '@packaging-factory/core';
import { parseDeb822Lenient } from '../dpkg/lenient-deb822.ts';
import { extractDebFile } from './deb-package.ts';

/**
 * Licenses declared by a machine-readable debian/copyright file (DEP-5, "Machine-readable
 * debian/copyright file", copyright-format 1.0): the first paragraph's Format field names the
 * format; every License field's first line is a short name or an expression of short names
 * ('GPL-2+', 'BSD-3-clause or GPL', 'GPL-3+ with Bison exception'). Free-form copyright files
 * declare nothing machine-readable, so they give no licenses.
 */

// §"Header paragraph": Format is the URI of the format specification (also the older DEP-5 draft URIs).
const FORMAT = /copyright-format|dep5/i;

/** The distinct License short names/expressions of a DEP-5 copyright file, in order of first appearance; [] when not DEP-5. */
export function debCopyrightLicenses(text: string): string[] {
  const { paragraphs } = parseDeb822Lenient(text);
  const header = paragraphs[0];
  if (header === undefined || !FORMAT.test(header.get('Format') ?? '')) return [];
  const found: string[] = [];
  for (const paragraph of paragraphs) {
    const name = (paragraph.get('License') ?? '').split('\n')[0]?.trim().replace(/\s+/g, ' ');
    if (name !== undefined && name !== '' && !found.includes(name)) found.push(name);
  }
  return found;
}

/** The licenses of a .deb's own /usr/share/doc/<package>/copyright; [] when it has none or it is not DEP-5. */
export async function readDebCopyrightLicenses(file: string, packageName: string, exec: ExecRunner): Promise<string[]> {
  try {
    const text = await extractDebFile(file, `/usr/share/doc/${packageName}/copyright`, exec);
    return debCopyrightLicenses(text.toString('utf8'));
  } catch (error) {
    if (error instanceof FactoryError && error.code === 'FILE_NOT_FOUND') return [];
    throw error;
  }
}
