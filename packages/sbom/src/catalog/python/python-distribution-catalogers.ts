import { open } from 'node:fs/promises';
import path from 'node:path';
import { digestFile, FactoryError } from '@packaging-factory/core';
import { hasGzipMagic, hasZipMagic, readEgg, readSdist, readWheel, type PythonDistribution } from '@packaging-factory/formats';
import { archiveCataloger } from '../archive-cataloger.ts';
import type { CatalogCandidate, Cataloger, CatalogOutput, CatalogTarget } from '../cataloger.ts';
import { pythonComponent, sortPythonProperties } from './python-component.ts';

/**
 * Catalogers for Python distribution files: one component per file, the file's own sha256 and its
 * name in the purl's `file_name` qualifier (two wheels of one release for different platforms are
 * two files, two components). Requires-Dist stays a property: a single file says what it needs,
 * not which versions will be installed.
 */

/**
 * sdist file names: `{name}-{version}.tar.gz` (PEP 625; older tools also wrote .zip). In a
 * directory walk only names of this shape are opened, so arbitrary source tarballs are not claimed;
 * a file named directly is opened whatever its name.
 */
const SDIST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*-\d[A-Za-z0-9.!+_-]*\.(tar\.gz|zip)$/;

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function distributionOutput(target: CatalogTarget, distribution: PythonDistribution, withRecord: boolean): Promise<CatalogOutput> {
  const component = pythonComponent(distribution.metadata, {
    source: `${target.shown}:${distribution.metadataPath}`,
    fileName: path.basename(target.file),
    sha256: await digestFile(target.file),
    ...(withRecord && distribution.record !== undefined ? { record: distribution.record } : {}),
  });
  component.properties.push(['packaging-factory:pypi:distribution-file', path.basename(target.file)]);
  for (const tag of distribution.wheel?.get('Tag') ?? []) component.properties.push(['packaging-factory:pypi:wheel-tag', tag]);
  sortPythonProperties(component);
  return { components: [component], notes: [], unreadable: [] };
}

/** Wheels (.whl): METADATA and RECORD from the *.dist-info directory inside. */
export const pythonWheelCataloger: Cataloger = {
  kind: 'python-wheel',
  role: 'artifact',
  matches: (c: CatalogCandidate) => c.name.endsWith('.whl') && hasZipMagic(c.head),
  async catalog(target) {
    return distributionOutput(target, await readWheel(target.file), true);
  },
};

/** Eggs (.egg): EGG-INFO/PKG-INFO. An egg without it cannot be identified: listed as unreadable. */
export const pythonEggCataloger: Cataloger = {
  kind: 'python-egg',
  role: 'artifact',
  matches: (c) => c.name.endsWith('.egg') && hasZipMagic(c.head),
  async catalog(target) {
    const egg = await readEgg(target.file);
    if (egg === undefined) {
      return {
        components: [],
        notes: [],
        unreadable: [{ file: target.shown, reason: 'the egg has no EGG-INFO/PKG-INFO: the distribution it holds cannot be identified' }],
      };
    }
    return distributionOutput(target, egg, false);
  },
};

/** Source distributions (.tar.gz / .zip with a top-level PKG-INFO). */
export const pythonSdistCataloger: Cataloger = {
  kind: 'python-sdist',
  role: 'artifact',
  matches: (c) =>
    (c.explicit ? /\.(tar\.gz|zip)$/.test(c.name) : SDIST_NAME.test(c.name)) &&
    (c.name.endsWith('.zip') ? hasZipMagic(c.head) : hasGzipMagic(c.head)),
  async catalog(target, ctx) {
    const sdist = await readSdist(target.file, await readHead(target.file));
    if (sdist === undefined) {
      // Named like an sdist, but some other project's source archive: open it as a plain archive.
      if (ctx.catalogNested !== undefined && ctx.tempDir !== undefined) return archiveCataloger.catalog(target, ctx);
      throw new FactoryError(
        'SBOM_UNSUPPORTED_FORMAT',
        `${target.shown} has no top-level PKG-INFO: it is not a Python source distribution`,
        {
          subject: target.shown,
          hint: 'build sdists with `python -m build --sdist` (it writes PKG-INFO), or leave this archive out of the paths input',
        },
      );
    }
    return distributionOutput(target, sdist, false);
  },
};
