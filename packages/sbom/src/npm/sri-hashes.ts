/**
 * Subresource Integrity strings (W3C SRI §3.5: `<alg>-<base64>` tokens separated by whitespace), as
 * npm writes them in `integrity`, turned into hex digests keyed by CycloneDX algorithm names.
 */

export type SriAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const ALGORITHMS: Record<string, { name: SriAlgorithm; bytes: number }> = {
  sha1: { name: 'SHA-1', bytes: 20 },
  sha256: { name: 'SHA-256', bytes: 32 },
  sha384: { name: 'SHA-384', bytes: 48 },
  sha512: { name: 'SHA-512', bytes: 64 },
};

/** Every well-formed digest in the string; tokens with unknown algorithms or wrong lengths are skipped. */
export function sriToHexDigests(integrity: string | undefined): Map<SriAlgorithm, string> {
  const out = new Map<SriAlgorithm, string>();
  if (integrity === undefined) return out;
  for (const token of integrity.trim().split(/\s+/)) {
    const dash = token.indexOf('-');
    if (dash === -1) continue;
    const algorithm = ALGORITHMS[token.slice(0, dash).toLowerCase()];
    // SRI allows `?options` after the digest; they carry no hash data.
    const base64 = token.slice(dash + 1).split('?')[0] ?? '';
    if (algorithm === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) continue;
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length !== algorithm.bytes) continue;
    if (!out.has(algorithm.name)) out.set(algorithm.name, bytes.toString('hex'));
  }
  return out;
}
