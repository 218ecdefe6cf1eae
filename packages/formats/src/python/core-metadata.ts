import { FactoryError } from '@packaging-factory/core';
import { parsePep508, type Pep508Requirement } from './pep508.ts';
import { normalizePythonName } from './python-names.ts';

/**
 * Python core metadata (packaging.python.org/en/latest/specifications/core-metadata/): the
 * METADATA file of a wheel or *.dist-info directory and the PKG-INFO of an sdist, egg or
 * *.egg-info. The format is RFC 822 email headers as Python's `email.parser` reads them with the
 * compat32 policy (what `importlib.metadata` and pip use), so this reader follows that parser:
 *  - a header is `Name: value`; lines starting with a space or tab continue the previous header;
 *  - the first blank line ends the headers, and everything after it is the body (the description,
 *    metadata 2.1+);
 *  - a line that is neither a header nor a continuation also ends the headers and starts the body
 *    (feedparser's MissingHeaderBodySeparatorDefect): what follows is not read as fields;
 *  - names compare case-insensitively; multiple-use fields (Classifier, Requires-Dist,
 *    Project-URL, License-File, Provides-Extra, Platform...) keep every occurrence in order.
 */

export interface ProjectUrl {
  label: string;
  url: string;
}

export interface CoreMetadata {
  metadataVersion?: string;
  name: string;
  version: string;
  summary?: string;
  description?: string;
  author?: string;
  authorEmail?: string;
  maintainer?: string;
  maintainerEmail?: string;
  /** Free-text License field (may be a whole license text in old packages). */
  license?: string;
  /** SPDX expression (metadata 2.4). */
  licenseExpression?: string;
  licenseFiles: string[];
  classifiers: string[];
  homePage?: string;
  downloadUrl?: string;
  projectUrls: ProjectUrl[];
  requiresPython?: string;
  /** Requires-Dist, parsed; entries that do not parse are in `unparsedRequiresDist`. */
  requiresDist: Pep508Requirement[];
  /** Requires-Dist values as written (every one, parsed or not). */
  requiresDistRaw: string[];
  unparsedRequiresDist: string[];
  providesExtra: string[];
  platforms: string[];
  keywords?: string;
  /** Every header as read (lower-cased name → values in order, folded lines joined). */
  fields: Map<string, string[]>;
}

// Python's email.feedparser headerRE: a run of printable non-colon characters, then ':'.
const HEADER = /^([\x21-\x39\x3b-\x7e]+):(.*)$/;

/** Field values of 'UNKNOWN' were written by old setuptools for fields the author left empty. */
function present(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed === 'UNKNOWN' ? undefined : trimmed;
}

/**
 * Unfolds a header value (RFC 822 §3.1.1: a fold is CRLF + whitespace). Description keeps its
 * lines: the spec indents them with 8 spaces, or 7 spaces and '|' (to keep blank and indented lines).
 */
function unfold(name: string, first: string, continuations: readonly string[]): string {
  // Description and License may span lines (the spec allows a whole license text in License).
  if (name === 'description' || name === 'license') {
    const lines = continuations.map((line) => line.replace(/^ {7}\|/, '').replace(/^( {8}|\t)/, ''));
    return [first.trim(), ...lines].join('\n').replace(/\s+$/, '');
  }
  return [first, ...continuations]
    .map((part) => part.trim())
    .join(' ')
    .trim();
}

/** Reads the headers and body of a METADATA / PKG-INFO text. */
export function readMetadataHeaders(text: string): { fields: Map<string, string[]>; body: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const fields = new Map<string, string[]>();
  let current: { name: string; first: string; more: string[] } | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const list = fields.get(current.name) ?? [];
    list.push(unfold(current.name, current.first, current.more));
    fields.set(current.name, list);
    current = undefined;
  };
  let index = 0;
  for (; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line === '') {
      index += 1;
      break;
    }
    if (/^[ \t]/.test(line)) {
      // A continuation with no header before it is a defect Python ignores.
      current?.more.push(line);
      continue;
    }
    const match = HEADER.exec(line);
    if (match === null) break;
    flush();
    current = { name: (match[1] ?? '').toLowerCase(), first: (match[2] ?? '').replace(/^[ \t]+/, ''), more: [] };
  }
  flush();
  const body = lines.slice(index).join('\n').replace(/\s+$/, '');
  return { fields, body };
}

function parseProjectUrl(value: string): ProjectUrl | undefined {
  const comma = value.indexOf(',');
  if (comma === -1) return undefined;
  const label = value.slice(0, comma).trim();
  const url = value.slice(comma + 1).trim();
  return url === '' ? undefined : { label, url };
}

/**
 * Parses METADATA / PKG-INFO. `origin` names the file in errors. Name and Version are required
 * by every metadata version: without them the distribution cannot be identified.
 */
export function parseCoreMetadata(text: string, origin: string): CoreMetadata {
  const { fields, body } = readMetadataHeaders(text);
  const one = (name: string): string | undefined => present(fields.get(name)?.[0]);
  const all = (name: string): string[] => (fields.get(name) ?? []).map((v) => v.trim()).filter((v) => v !== '' && v !== 'UNKNOWN');
  const name = one('name');
  const version = one('version');
  if (name === undefined || version === undefined) {
    throw new FactoryError(
      'SBOM_UNSUPPORTED_FORMAT',
      `${origin} has no ${name === undefined ? 'Name' : 'Version'} field: not Python core metadata`,
      {
        subject: origin,
        hint: 'METADATA / PKG-INFO must start with Metadata-Version, Name and Version headers; rebuild the distribution',
      },
    );
  }
  const metadata: CoreMetadata = {
    name,
    version,
    licenseFiles: all('license-file'),
    classifiers: all('classifier'),
    projectUrls: all('project-url').flatMap((v) => parseProjectUrl(v) ?? []),
    requiresDist: [],
    requiresDistRaw: all('requires-dist'),
    unparsedRequiresDist: [],
    providesExtra: all('provides-extra').map(normalizePythonName),
    platforms: all('platform'),
    fields,
  };
  const optional: [keyof CoreMetadata, string][] = [
    ['metadataVersion', 'metadata-version'],
    ['summary', 'summary'],
    ['author', 'author'],
    ['authorEmail', 'author-email'],
    ['maintainer', 'maintainer'],
    ['maintainerEmail', 'maintainer-email'],
    ['license', 'license'],
    ['licenseExpression', 'license-expression'],
    ['homePage', 'home-page'],
    ['downloadUrl', 'download-url'],
    ['requiresPython', 'requires-python'],
    ['keywords', 'keywords'],
  ];
  for (const [key, field] of optional) {
    const value = one(field);
    if (value !== undefined) (metadata as unknown as Record<string, string>)[key] = value;
  }
  // Metadata 2.1 moved the description into the body; older files use the Description header.
  const description = present(body) ?? one('description');
  if (description !== undefined) metadata.description = description;
  for (const raw of metadata.requiresDistRaw) {
    const parsed = parsePep508(raw);
    if (parsed === undefined) metadata.unparsedRequiresDist.push(raw);
    else metadata.requiresDist.push(parsed);
  }
  return metadata;
}
