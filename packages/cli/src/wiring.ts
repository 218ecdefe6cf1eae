import path from 'node:path';
import type { RunSession } from '@packaging-factory/core';
import type { ArtifactSigner } from '@packaging-factory/signing';
import type { PipelineStage } from './pipeline.ts';

/** What `factory run` knows while it runs: where things go and what earlier stages produced. */
export interface PipelineState {
  outDir: string;
  baseDir: string;
  pipelineFile: string;
  session: RunSession;
  outputs: Partial<Record<PipelineStage, Record<string, string>>>;
  /** The run's in-process signer (an ephemeral key), shared by sign and attest-provenance. */
  signer?: ArtifactSigner;
  /** What the provenance records as the CLI invocation. */
  invocation: { pipeline: { path: string; sha256: string }; command: string[] };
}

const lines = (value: string | undefined): string[] => (value ?? '').split('\n').filter((l) => l.trim() !== '');

/** The inputs a stage gets from the run itself: output locations and earlier stages' outputs. */
export function wireStage(stage: PipelineStage, state: PipelineState, configured: Record<string, string> = {}): Record<string, string> {
  const out = (...parts: string[]): string => path.join(state.outDir, ...parts);
  const o = state.outputs;
  const pkg = o['build-package']?.['package'] ?? '';
  const sbom = o['generate-sbom']?.['sbom'] ?? '';
  // With format both, the SPDX document travels with the CycloneDX one (signed, attested, published).
  const spdx = o['generate-sbom']?.['spdx'] ?? '';
  const sboms = [...new Set([sbom, spdx].filter(Boolean))];
  switch (stage) {
    case 'build-package':
      return { 'output-dir': out('packages') };
    case 'generate-sbom':
      if (configured['format'] === 'spdx-json') return { paths: pkg, output: out('sbom.spdx.json') };
      if (configured['format'] === 'both') return { paths: pkg, output: out('sbom.cdx.json'), 'spdx-output': out('sbom.spdx.json') };
      return { paths: pkg, output: out('sbom.cdx.json') };
    case 'scan': {
      const wired: Record<string, string> = { sbom, output: out('scan-report.json') };
      // db is a path or the word osv-api, so the pipeline does not resolve it as a path input: a path is relative to the pipeline file.
      const db = configured['db'] ?? '';
      if (db !== '' && db !== 'osv-api') wired['db'] = path.resolve(state.baseDir, db);
      // The malware step scans the built package unless the pipeline names the files itself.
      if (configured['malware-scan'] === 'true' && (configured['malware-files'] ?? '') === '' && pkg !== '') wired['malware-files'] = pkg;
      return wired;
    }
    case 'sign':
      // The package and its SBOM are the release's artifacts; each gets a Sigstore bundle.
      return { files: [pkg, ...sboms].filter(Boolean).join('\n'), 'output-dir': out('signatures') };
    case 'test-install':
      return { package: pkg, 'output-dir': out('install-test') };
    case 'attest-provenance':
      return { subjects: [pkg, ...sboms].filter(Boolean).join('\n'), 'output-dir': out('attestations') };
    case 'publish': {
      const files = [
        pkg,
        ...sboms,
        o.scan?.['report'],
        ...lines(o.sign?.['bundles']),
        o.sign?.['public-key'],
        o['attest-provenance']?.['provenance'],
        o['attest-provenance']?.['provenance-bundle'],
        o['attest-provenance']?.['evidence-snapshot'],
        o['attest-provenance']?.['evidence-attestation'],
      ].filter((f): f is string => f !== undefined && f !== '');
      return { files: files.join('\n') };
    }
  }
}

/**
 * Options only an in-process caller can give: the shared signer (when the pipeline signs with an
 * ephemeral key and the stage has no key of its own) and the invocation for the provenance.
 */
export function inProcessOptions(stage: PipelineStage, options: unknown, raw: Record<string, string>, state: PipelineState): unknown {
  const object = options as Record<string, unknown>;
  const ownKey = raw['key'] !== undefined && raw['key'] !== '';
  if (stage === 'sign' && state.signer !== undefined && !ownKey) return { ...object, signer: state.signer };
  if (stage === 'attest-provenance') {
    return { ...object, invocation: state.invocation, ...(state.signer !== undefined && !ownKey ? { signer: state.signer } : {}) };
  }
  return options;
}
