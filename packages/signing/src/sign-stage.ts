import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bundle } from '@sigstore/bundle';
import {
  describeFile,
  digestBytes,
  expandFilePatterns,
  FactoryError,
  InputReader,
  writeFileAtomic,
  type FileRecord,
  type StageContext,
  type StageDefinition,
  type StageResult,
} from '@packaging-factory/core';
import { bundleFileName, serializeBundle } from './bundle-file.ts';
import { verifyBundleWithKey } from './bundle-verifier.ts';
import { EPHEMERAL_KEY_WARNING, resolveSigner, type SignerOptions } from './resolve-signer.ts';
import { recordSigstoreLibraries } from './sigstore-libraries.ts';
import { consumerCommands } from './verify-commands.ts';

export interface SignOptions extends SignerOptions {
  /** The artifacts to sign: paths or glob patterns, resolved from the working directory when the stage runs. */
  files: string[];
  /** Absolute directory the bundles and the public key are written to. */
  outputDir: string;
}

const INPUTS = {
  files: {
    description: 'Artifacts to sign, one path or glob per line (resolved from the working directory).',
    kind: 'paths',
    required: true,
  },
  key: {
    description:
      'Private signing key (ECDSA P-256, Ed25519 or RSA >= 2048): PEM text from a secret, or the path of a PEM file. Never logged or written.',
    kind: 'secret',
  },
  'key-passphrase': { description: 'Passphrase of an encrypted PKCS#8 key.', kind: 'secret' },
  'ephemeral-key': {
    description:
      'When no key is given, sign with a one-time ECDSA P-256 key and publish its public key. Such signatures prove integrity only, not identity.',
    kind: 'boolean',
    default: 'false',
  },
  'output-dir': {
    description: 'Directory for the <artifact>.sigstore.json bundles and the public key.',
    kind: 'path',
    default: 'factory-out/signatures',
  },
} as const;

const OUTPUTS = {
  bundles: { description: 'Paths of the Sigstore bundles written, one per line.' },
  'public-key': { description: 'Path of the public key PEM that verifies the bundles.' },
  'key-fingerprint': { description: "sha256 of the public key's DER SubjectPublicKeyInfo (hex), also the bundles' key hint." },
} as const;

interface Signed {
  file: string;
  artifact: FileRecord;
  bundle: Bundle;
  bundlePath: string;
}

/** Signs each artifact with a key into a Sigstore bundle v0.3 and verifies every bundle before writing it. */
export async function sign(options: SignOptions, ctx: StageContext): Promise<StageResult> {
  // Globs expand like every stage's (dist/*.deb); a pattern that matches nothing is FILE_NOT_FOUND naming 'files'.
  const files = await expandFilePatterns(options.files, ctx.workDir, 'files');
  assertDistinctNames(files);
  const signer = await resolveSigner(options, ctx);
  recordSigstoreLibraries(ctx.exec);
  const publicKey = createPublicKey(signer.publicKeyPem);
  const notes: string[] = [];
  if (signer.identity.ephemeral) {
    notes.push(EPHEMERAL_KEY_WARNING);
    ctx.logger.warn(EPHEMERAL_KEY_WARNING, 'ephemeral-key');
  } else if (options.ephemeralKey && options.signer === undefined) {
    notes.push("'ephemeral-key' was ignored because a key was given");
  }

  // Sign and verify everything in memory first, so a failure leaves no partial set of bundles.
  const signed: Signed[] = [];
  for (const file of files) {
    const artifact = await describeFile(file, 'artifact', ctx.workDir);
    const data = await readFile(file);
    if (digestBytes(data) !== artifact.sha256) {
      throw new FactoryError('SIGN_FAILED', `${artifact.name} changed while it was being signed`, {
        subject: file,
        hint: 'make sure nothing else writes the artifacts during the sign stage',
      });
    }
    let bundle: Bundle;
    try {
      bundle = await signer.signArtifact(data);
    } catch (error) {
      if (error instanceof FactoryError) throw error;
      throw new FactoryError('SIGN_FAILED', `signing ${artifact.name} failed`, { cause: error, subject: file });
    }
    const verification = verifyBundleWithKey(bundle, publicKey, data);
    if (!verification.ok) {
      throw new FactoryError('SIGN_VERIFY_FAILED', `the bundle just made for ${artifact.name} does not verify: ${verification.reason}`, {
        cause: verification.cause,
        subject: file,
        hint: 'the signer and its public key disagree; check the key backend',
      });
    }
    ctx.logger.info(`signed ${artifact.name} (sha256 ${artifact.sha256}) and verified its bundle`);
    signed.push({ file, artifact, bundle, bundlePath: path.join(options.outputDir, bundleFileName(artifact.name)) });
  }

  const outputs: FileRecord[] = [];
  for (const item of signed) {
    await writeFileAtomic(item.bundlePath, serializeBundle(item.bundle));
    outputs.push(await describeFile(item.bundlePath, 'signature', ctx.workDir));
  }
  const publicKeyPath = path.join(options.outputDir, signer.identity.ephemeral ? 'ephemeral-public-key.pem' : 'public-key.pem');
  await writeFileAtomic(publicKeyPath, signer.publicKeyPem);
  const publicKeyRecord = await describeFile(publicKeyPath, 'public-key', ctx.workDir);
  outputs.push(publicKeyRecord);

  const bundles = outputs.filter((o) => o.role === 'signature');
  return {
    status: 'passed',
    decision: {
      result: 'pass',
      reason: `${signed.length} artifact(s) signed and verified${signer.identity.ephemeral ? ' (ephemeral key: integrity only)' : ''}`,
    },
    inputs: signed.map((s) => s.artifact),
    outputs,
    outputValues: {
      bundles: signed.map((s) => s.bundlePath).join('\n'),
      'public-key': publicKeyPath,
      'key-fingerprint': signer.identity.fingerprint,
    },
    summary: summarize(signed, publicKeyPath, signer.identity, ctx.workDir),
    details: {
      signer: { ...signer.identity },
      ephemeralKey: signer.identity.ephemeral,
      publicKey: { path: publicKeyRecord.path, sha256: publicKeyRecord.sha256 },
      bundles: signed.map((s, i) => ({
        artifact: s.artifact.name,
        artifactSha256: s.artifact.sha256,
        bundle: bundles[i]?.path ?? s.bundlePath,
        bundleSha256: bundles[i]?.sha256 ?? '',
        mediaType: s.bundle.mediaType,
      })),
    },
    notes,
  };
}

/** Bundles are named after the artifact's file name, so two artifacts may not share one. */
function assertDistinctNames(files: string[]): void {
  const seen = new Map<string, string>();
  for (const file of files) {
    const name = path.basename(file);
    const other = seen.get(name);
    if (other !== undefined) {
      throw new FactoryError(
        'INPUT_INVALID',
        `input 'files' names two artifacts called ${name} (${other} and ${file}); their bundles would collide`,
        {
          subject: 'files',
          hint: 'sign them in separate steps with different output-dir values, or rename one',
        },
      );
    }
    seen.set(name, file);
  }
}

function summarize(
  signed: Signed[],
  publicKeyPath: string,
  identity: { fingerprint: string; algorithm: string; ephemeral: boolean },
  workDir: string,
): string {
  const rel = (p: string): string => path.relative(workDir, p) || p;
  const lines: string[] = ['## Sign', ''];
  if (identity.ephemeral) lines.push(`> [!WARNING]`, `> ${EPHEMERAL_KEY_WARNING}`, '');
  lines.push(
    `Signed ${signed.length} artifact(s) with a ${identity.ephemeral ? 'one-time ' : ''}${identity.algorithm} key, fingerprint \`${identity.fingerprint}\`; every bundle was verified right after signing.`,
    '',
    '| Artifact | sha256 | Bundle |',
    '|---|---|---|',
    ...signed.map((s) => `| ${s.artifact.name} | \`${s.artifact.sha256}\` | \`${rel(s.bundlePath)}\` |`),
    '',
    `Public key: \`${rel(publicKeyPath)}\``,
    '',
    ...consumerCommands({
      files: signed.map((s) => rel(s.file)),
      bundleDir: rel(path.dirname(signed[0]?.bundlePath ?? publicKeyPath)),
      bundleFor: (file) => rel(signed.find((s) => rel(s.file) === file)?.bundlePath ?? `${file}.sigstore.json`),
      publicKey: rel(publicKeyPath),
      algorithm: identity.algorithm,
    }),
  );
  return `${lines.join('\n')}\n`;
}

/** The `sign` stage: key-based Sigstore bundles for each artifact. */
export const signStage: StageDefinition<SignOptions> = {
  name: 'sign',
  title: 'Sign artifacts',
  description:
    'Signs each artifact with a key (or a one-time key) into a Sigstore bundle v0.3 and verifies every bundle before writing it.',
  inputs: INPUTS,
  outputs: OUTPUTS,
  positional: 'files',
  parse(raw, { workDir }) {
    const reader = new InputReader(raw, INPUTS, workDir);
    const options: SignOptions = {
      // Paths and globs stay as given: the stage expands them (expandFilePatterns) when it runs.
      files: reader.requiredList('files'),
      ephemeralKey: reader.boolean('ephemeral-key'),
      outputDir: reader.path('output-dir'),
    };
    const key = reader.optional('key');
    if (key !== undefined) options.key = key;
    const passphrase = raw['key-passphrase'];
    if (passphrase !== undefined && passphrase !== '') options.keyPassphrase = passphrase;
    return options;
  },
  run: sign,
};
