import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KeySigner, serializeBundle } from '@packaging-factory/signing';
import { loadSecurityPolicy, type SecurityPolicy } from '@packaging-factory/vuln';

/** A security reviewer's key, a policy listing it, and a way to approve files with it. */
export interface Reviewer {
  policy: SecurityPolicy;
  policyFile: string;
  /** Writes `file` with `text` and `<file>.sigstore.json` signed by the reviewer; returns the bundle path. */
  approve(file: string, text: string): Promise<string>;
}

export async function makeReviewer(dir: string): Promise<Reviewer> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = KeySigner.fromPrivateKey(privateKey);
  await writeFile(path.join(dir, 'reviewer.pub'), signer.publicKeyPem);
  const policyFile = path.join(dir, 'scan-policy.yml');
  await writeFile(policyFile, 'version: 1\nsecurity-reviewers:\n  - name: security team\n    public-key: reviewer.pub\n');
  return {
    policy: await loadSecurityPolicy(policyFile),
    policyFile,
    async approve(file, text) {
      await writeFile(file, text);
      const bundle = `${file}.sigstore.json`;
      await writeFile(bundle, serializeBundle(await signer.signArtifact(Buffer.from(text))));
      return bundle;
    },
  };
}
