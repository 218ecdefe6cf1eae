import { PackageURL } from 'packageurl-js';

/** A 1-based line and column in a text file. */
export interface TextPosition {
  line: number;
  column: number;
  /** What was found there: the purl, a lockfile key, or nothing (the file's first line). */
  matched: 'purl' | 'purl-without-qualifiers' | 'lockfile-key' | 'name-and-version' | 'name' | 'none';
}

/**
 * The index of a file's lines, built once per file: finding where a component appears in an SBOM
 * or a lockfile for SARIF locations (GitHub code scanning shows the alert on that line).
 */
export class ComponentLocator {
  private readonly lines: string[];

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }

  /**
   * Where a component is written, trying the most specific spelling first: the exact purl as a
   * CycloneDX `purl` or SPDX `referenceLocator` value, anywhere else, the purl without qualifiers and subpath, a
   * package-lock `"node_modules/<name>"` key, a line naming both the name and the version
   * (yarn.lock `name@version`, requirements `name==version`, pnpm `/name@version`), the quoted
   * name, and else line 1 (the file still is where the component came from).
   */
  locate(component: { purl?: string; name: string; version?: string }): TextPosition {
    const tries: [TextPosition['matched'], (line: string) => number][] = [];
    if (component.purl !== undefined) {
      const purl = component.purl;
      // The purl field itself first: a CycloneDX bom-ref often repeats the purl a line earlier.
      const field = new RegExp(`"(?:purl|referenceLocator)"\\s*:\\s*${escapeRegExp(JSON.stringify(purl))}`);
      tries.push(['purl', (line) => line.search(field)]);
      tries.push(['purl', (line) => line.indexOf(purl)]);
      const bare = withoutQualifiers(purl);
      if (bare !== undefined && bare !== purl) tries.push(['purl-without-qualifiers', (line) => line.indexOf(bare)]);
    }
    const name = component.name;
    tries.push(['lockfile-key', (line) => line.indexOf(`"node_modules/${name}"`)]);
    if (component.version !== undefined) {
      const version = component.version;
      tries.push([
        'name-and-version',
        (line) => {
          const at = wordIndex(line, name);
          return at >= 0 && line.includes(version) ? at : -1;
        },
      ]);
    }
    tries.push(['name', (line) => line.indexOf(`"${name}"`)]);
    for (const [matched, find] of tries) {
      for (let i = 0; i < this.lines.length; i++) {
        const at = find(this.lines[i]!);
        if (at >= 0) return { line: i + 1, column: at + 1, matched };
      }
    }
    return { line: 1, column: 1, matched: 'none' };
  }
}

/** The purl's type/namespace/name@version, without `?qualifiers` and `#subpath`. */
function withoutQualifiers(purl: string): string | undefined {
  try {
    const parsed = PackageURL.fromString(purl);
    return new PackageURL(parsed.type, parsed.namespace, parsed.name, parsed.version, undefined, undefined).toString();
  } catch {
    return undefined;
  }
}

/** Index of `word` in `line` where it is not part of a longer name (lodash vs lodash.merge). */
function wordIndex(line: string, word: string): number {
  let from = 0;
  for (;;) {
    const at = line.indexOf(word, from);
    if (at < 0) return -1;
    const before = at === 0 ? '' : line[at - 1]!;
    const after = line[at + word.length] ?? '';
    if (!/[\w.-]/.test(before) && !/[\w.-]/.test(after)) return at;
    from = at + 1;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
