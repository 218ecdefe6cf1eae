/** The checksum list published beside the assets, under the name sha256sum users expect. */
export const CHECKSUMS_NAME = 'SHA256SUMS';

/** One line of a checksum list. */
export interface ChecksumEntry {
  name: string;
  sha256: string;
}

/**
 * The SHA256SUMS text `sha256sum` writes and `sha256sum -c` reads: `<hex>  <name>` (two spaces:
 * text mode, which is what GNU coreutils prints by default), one line per file, sorted by name
 * in byte order so the same files always give the same bytes.
 */
export function formatSha256Sums(entries: readonly ChecksumEntry[]): string {
  const sorted = [...entries].sort((a, b) => compareNames(a.name, b.name));
  for (const entry of sorted) {
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw new Error(`bug: '${entry.sha256}' is not a sha256 hex digest`);
    // coreutils escapes names with a newline or backslash; our asset names never contain them.
    if (/[\n\\]/.test(entry.name)) throw new Error(`bug: asset name ${JSON.stringify(entry.name)} cannot be listed in SHA256SUMS`);
  }
  return sorted.map((e) => `${e.sha256}  ${e.name}\n`).join('');
}

/** Parses SHA256SUMS text (text or binary mode lines); throws on a malformed line. */
export function parseSha256Sums(text: string): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const found = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (found === null) throw new Error(`SHA256SUMS line ${index + 1} is not '<sha256>  <name>'`);
    entries.push({ sha256: found[1] ?? '', name: found[2] ?? '' });
  }
  return entries;
}

/** Byte order of the UTF-8 names (what `LC_ALL=C sort` gives), independent of the locale. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
