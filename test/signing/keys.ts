import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';

/** A PEM key pair for tests: the private key as PKCS#8 (optionally encrypted), the public as SPKI. */
export interface PemPair {
  privatePem: string;
  publicPem: string;
}

export function ecdsaP256(passphrase?: string): PemPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privatePem: privateKey
      .export(
        passphrase === undefined ? { type: 'pkcs8', format: 'pem' } : { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
      )
      .toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function ed25519(): PemPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function rsa3072(): PemPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function ecdsaP384(): PemPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * Whether a Debian tool is on PATH. Under CI a missing tool is a failure (TESTING.md): the caller
 * turns `false` into a failing assertion there and a skip message elsewhere.
 */
export function hasTool(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Fails under CI when a tool is missing; otherwise says why the test is skipped. */
export function requireTool(tool: string, debianPackage: string): boolean {
  if (hasTool(tool)) return true;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(`${tool} is required under CI: apt-get install ${debianPackage}`);
  }
  console.warn(`skipping: ${tool} is not installed (apt-get install ${debianPackage})`);
  return false;
}
