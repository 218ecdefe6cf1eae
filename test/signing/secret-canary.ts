import { createPrivateKey } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Every form a private key could leak as: the PEM, its base64 body (joined and per line), the DER
 * in hex, and the private JWK members (the EC scalar `d`, Ed25519 `d`, RSA `d`/`p`/`q`) in
 * base64url, base64 and hex.
 */
export function leakForms(privatePem: string, passphrase?: string): string[] {
  const forms = new Set<string>([privatePem.trim()]);
  const body = privatePem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('-----') && !l.includes(':'));
  forms.add(body.join(''));
  for (const line of body) if (line.length >= 16) forms.add(line);
  const key = createPrivateKey(passphrase === undefined ? privatePem : { key: privatePem, passphrase });
  forms.add(key.export({ type: 'pkcs8', format: 'der' }).toString('hex'));
  const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
  for (const member of ['d', 'p', 'q']) {
    const value = jwk[member];
    if (typeof value !== 'string') continue;
    const bytes = Buffer.from(value, 'base64url');
    forms.add(value);
    forms.add(bytes.toString('base64'));
    forms.add(bytes.toString('hex'));
  }
  if (passphrase !== undefined) forms.add(passphrase);
  return [...forms].filter((f) => f.length >= 8);
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

/** Files under `dir` (and their text) containing any of the forms, plus log lines that do. */
export async function findLeaks(dirs: string[], logText: string, forms: string[]): Promise<string[]> {
  const leaks: string[] = [];
  let scanned = 0;
  for (const dir of dirs) {
    for await (const file of walk(dir)) {
      scanned++;
      const bytes = await readFile(file);
      const texts = [bytes.toString('utf8'), bytes.toString('latin1'), bytes.toString('hex')];
      for (const form of forms) if (texts.some((t) => t.includes(form))) leaks.push(`${file} contains ${form.slice(0, 12)}…`);
    }
  }
  for (const form of forms) if (logText.includes(form)) leaks.push(`log contains ${form.slice(0, 12)}…`);
  if (scanned === 0) leaks.push('no files were scanned: the canary check looked in the wrong place');
  return leaks;
}
