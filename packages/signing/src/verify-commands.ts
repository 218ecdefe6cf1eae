/** What a consumer needs to check key-based bundles. */
export interface CommandContext {
  files: string[];
  bundleDir: string;
  bundleFor: (file: string) => string;
  publicKey: string;
  algorithm: string;
}

/** Quotes a path for a POSIX shell when it holds anything beyond safe characters. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Copy-pasteable verification commands, as markdown lines. The openssl lines are the ones our
 * tests run; cosign is given for consumers who have it (key-mode bundles carry no Rekor entry,
 * hence --insecure-ignore-tlog; --new-bundle-format is the default from cosign 3).
 */
export function consumerCommands(context: CommandContext): string[] {
  const q = shellQuote;
  const first = context.files[0];
  if (first === undefined) return [];
  const bundle = context.bundleFor(first);
  const lines = [
    '### How to verify',
    '',
    'With the factory CLI:',
    '',
    '```sh',
    `factory verify --key ${q(context.publicKey)} --bundle-dir ${q(context.bundleDir)} ${context.files.map(q).join(' ')}`,
    '```',
    '',
    'With cosign (2.4 or later):',
    '',
    '```sh',
    `cosign verify-blob --key ${q(context.publicKey)} --bundle ${q(bundle)} --new-bundle-format --insecure-ignore-tlog=true ${q(first)}`,
    '```',
    '',
    'With openssl and jq only:',
    '',
    '```sh',
    `jq -r .messageSignature.signature ${q(bundle)} | base64 -d > ${q(`${first}.sig`)}`,
  ];
  if (context.algorithm === 'ed25519') {
    lines.push(`openssl pkeyutl -verify -pubin -inkey ${q(context.publicKey)} -rawin -in ${q(first)} -sigfile ${q(`${first}.sig`)}`);
  } else {
    lines.push(`openssl dgst -sha256 -verify ${q(context.publicKey)} -signature ${q(`${first}.sig`)} ${q(first)}`);
  }
  lines.push('```');
  return lines;
}
