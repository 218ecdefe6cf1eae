import { access } from 'node:fs/promises';
import path from 'node:path';
import {
  describeFile,
  expandFilePatterns,
  FactoryError,
  InputReader,
  type FileRecord,
  type StageContext,
  type StageDefinition,
  type StageResult,
} from '@packaging-factory/core';
import { bundleFileName } from './bundle-file.ts';
import { keyFingerprint, parsePublicKey, readKeyText } from './key-material.ts';
import { recordSigstoreLibraries } from './sigstore-libraries.ts';
import { verifyArtifact, type VerifiedArtifact } from './verify-artifact.ts';
import { consumerCommands } from './verify-commands.ts';

export interface VerifyOptions {
  /** The artifacts to verify: paths or glob patterns, resolved from the working directory when the stage runs. */
  files: string[];
  /** Absolute path of the bundle (only with a single file). */
  bundle?: string;
  /** Absolute directory holding `<artifact name>.sigstore.json` bundles. */
  bundleDir?: string;
  /** Public key PEM text, or a path to it. */
  key: string;
}

const INPUTS = {
  files: {
    description: 'Artifacts to verify, one path or glob per line (resolved from the working directory).',
    kind: 'paths',
    required: true,
  },
  bundle: {
    description: 'Sigstore bundle of the (single) artifact; default <file>.sigstore.json next to it, or in bundle-dir.',
    kind: 'path',
  },
  'bundle-dir': { description: 'Directory holding the <artifact name>.sigstore.json bundles.', kind: 'path' },
  key: {
    description: 'Public key that must have signed the artifacts: PEM text, or the path of a PEM file.',
    kind: 'string',
    required: true,
  },
} as const;

const OUTPUTS = {
  verified: { description: 'How many artifacts verified.' },
} as const;

/** Where an artifact's bundle is: the explicit one, in bundle-dir, or next to the file. */
function bundlePathFor(file: string, options: VerifyOptions): string {
  if (options.bundle !== undefined) return options.bundle;
  const name = bundleFileName(path.basename(file));
  return options.bundleDir !== undefined ? path.join(options.bundleDir, name) : `${file}.sigstore.json`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Verifies each artifact against its Sigstore bundle and a public key; any failure fails the stage. */
export async function verify(options: VerifyOptions, ctx: StageContext): Promise<StageResult> {
  // Globs expand like every stage's (dist/*.deb); a pattern that matches nothing is FILE_NOT_FOUND naming 'files'.
  const files = await expandFilePatterns(options.files, ctx.workDir, 'files');
  if (options.bundle !== undefined && files.length > 1) {
    throw new FactoryError('INPUT_INVALID', `input 'bundle' names one bundle but 'files' names ${files.length} artifacts`, {
      subject: 'bundle',
      hint: "use 'bundle-dir' (bundles named <artifact>.sigstore.json) for several artifacts",
    });
  }
  recordSigstoreLibraries(ctx.exec);
  const keyText = await readKeyText(options.key, ctx.workDir, 'key', 'INPUT_INVALID');
  const publicKey = parsePublicKey(keyText.text, 'key', 'INPUT_INVALID');
  const fingerprint = keyFingerprint(publicKey);

  const inputs: FileRecord[] = [];
  if (keyText.source === 'file') inputs.push(await describeFile(path.resolve(ctx.workDir, options.key), 'public-key', ctx.workDir));
  const verified: VerifiedArtifact[] = [];
  const errors: FactoryError[] = [];
  const failed: { file: string; code: string; reason: string }[] = [];
  for (const file of files) {
    const bundlePath = bundlePathFor(file, options);
    try {
      if (!(await exists(bundlePath))) {
        throw new FactoryError(
          'VERIFY_BUNDLE_MISSING',
          `${path.basename(file)}: no signature bundle at ${path.relative(ctx.workDir, bundlePath) || bundlePath}`,
          {
            subject: file,
            hint: "download the artifact's .sigstore.json bundle, or point 'bundle' / 'bundle-dir' at it",
          },
        );
      }
      inputs.push(await describeFile(file, 'artifact', ctx.workDir));
      inputs.push(await describeFile(bundlePath, 'signature', ctx.workDir));
      const result = await verifyArtifact(file, bundlePath, publicKey);
      verified.push(result);
      ctx.logger.info(`verified ${path.basename(file)} (sha256 ${result.sha256}) with key ${fingerprint}`);
    } catch (error) {
      if (!(error instanceof FactoryError)) throw error;
      errors.push(error);
      failed.push({ file: path.basename(file), code: error.code, reason: error.message });
      ctx.logger.error(error.message, file);
    }
  }

  const passed = errors.length === 0;
  const rel = (p: string): string => path.relative(ctx.workDir, p) || p;
  const summary = [
    '## Verify',
    '',
    passed
      ? `All ${verified.length} artifact(s) verified with key \`${fingerprint}\`.`
      : `**${failed.length} of ${files.length} artifact(s) failed verification** with key \`${fingerprint}\`.`,
    '',
    '| Artifact | Result |',
    '|---|---|',
    ...verified.map((v) => `| ${path.basename(v.file)} | verified (sha256 \`${v.sha256}\`) |`),
    ...failed.map((f) => `| ${f.file} | **${f.code}**: ${f.reason} |`),
    '',
    ...consumerCommands({
      files: files.map(rel),
      bundleDir: rel(options.bundleDir ?? path.dirname(bundlePathFor(files[0] ?? '', options))),
      bundleFor: (file) => rel(bundlePathFor(path.resolve(ctx.workDir, file), options)),
      publicKey: keyText.source === 'file' ? rel(path.resolve(ctx.workDir, options.key)) : 'public-key.pem',
      algorithm: publicKey.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'other',
    }),
  ].join('\n');

  const result: StageResult = {
    status: passed ? 'passed' : 'failed',
    decision: passed
      ? { result: 'pass', reason: `${verified.length} artifact(s) verified` }
      : { result: 'fail', reason: `${failed.length} artifact(s) failed verification: ${failed.map((f) => f.file).join(', ')}` },
    inputs,
    outputs: [],
    outputValues: { verified: String(verified.length) },
    summary: `${summary}\n`,
    details: {
      keyFingerprint: fingerprint,
      verified: verified.map((v) => ({
        artifact: path.basename(v.file),
        sha256: v.sha256,
        bundle: rel(v.bundle),
        hintMatches: v.hintMatches,
      })),
      failed,
    },
  };
  if (!passed) result.errors = errors;
  return result;
}

/** The `verify` stage: the consumer's check of key-based bundles. */
export const verifyStage: StageDefinition<VerifyOptions> = {
  name: 'verify',
  title: 'Verify signatures',
  description: 'Verifies each artifact against its Sigstore bundle and the public key that must have signed it.',
  inputs: INPUTS,
  outputs: OUTPUTS,
  positional: 'files',
  parse(raw, { workDir }) {
    const reader = new InputReader(raw, INPUTS, workDir);
    const options: VerifyOptions = {
      // Paths and globs stay as given: the stage expands them (expandFilePatterns) when it runs.
      files: reader.requiredList('files'),
      key: reader.string('key'),
    };
    const bundle = reader.optionalPath('bundle');
    if (bundle !== undefined) options.bundle = bundle;
    const bundleDir = reader.optionalPath('bundle-dir');
    if (bundleDir !== undefined) options.bundleDir = bundleDir;
    return options;
  },
  run: verify,
};
