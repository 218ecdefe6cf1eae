/**
 * The media type uploaded with a release asset (GitHub stores it as the asset's content_type and
 * serves downloads with it). Registered IANA types where one exists, else application/octet-stream.
 */
const BY_SUFFIX: readonly (readonly [string, string])[] = [
  ['.intoto.jsonl', 'application/jsonl'],
  ['.sigstore.json', 'application/vnd.dev.sigstore.bundle.v0.3+json'],
  ['.tar.gz', 'application/gzip'],
  ['.tgz', 'application/gzip'],
  ['.gz', 'application/gzip'],
  ['.tar.xz', 'application/x-xz'],
  ['.xz', 'application/x-xz'],
  ['.zst', 'application/zstd'],
  ['.tar', 'application/x-tar'],
  ['.zip', 'application/zip'],
  ['.deb', 'application/vnd.debian.binary-package'],
  ['.rpm', 'application/x-rpm'],
  ['.apk', 'application/vnd.android.package-archive'],
  ['.msi', 'application/x-msi'],
  ['.exe', 'application/vnd.microsoft.portable-executable'],
  ['.whl', 'application/zip'],
  ['.jar', 'application/java-archive'],
  ['.dmg', 'application/x-apple-diskimage'],
  ['.json', 'application/json'],
  ['.jsonl', 'application/jsonl'],
  ['.sarif', 'application/sarif+json'],
  ['.asc', 'application/pgp-signature'],
  ['.pem', 'application/x-pem-file'],
  ['.txt', 'text/plain'],
  ['.md', 'text/markdown'],
];

export function contentTypeFor(name: string): string {
  const lower = name.toLowerCase();
  if (lower === 'sha256sums') return 'text/plain';
  return BY_SUFFIX.find(([suffix]) => lower.endsWith(suffix))?.[1] ?? 'application/octet-stream';
}
