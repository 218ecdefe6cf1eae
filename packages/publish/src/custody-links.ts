import { FactoryError, type FileRecord, type StageName, type StageRecord } from '@packaging-factory/core';

/** One link of the chain of custody between two stages' records, and whether it holds. */
export interface CustodyLink {
  /** Like 'generate-sbom → scan' or 'sign → widget.deb'. */
  link: string;
  holds: boolean;
  /** Why the link is broken (absent when it holds). */
  reason?: string;
  /** What to do about it (absent when it holds). */
  hint?: string;
}

/** The Sigstore bundle name the sign stage writes next to an artifact (signing's bundle-file.ts). */
function bundleNameFor(artifactName: string): string {
  return `${artifactName}.sigstore.json`;
}

function describe(files: readonly FileRecord[]): string {
  return files.length === 0 ? 'nothing' : files.map((f) => `${f.name} (sha256 ${f.sha256})`).join(', ');
}

/**
 * Each required stage passing is not enough: the stages must have looked at the same bytes. These
 * checks follow the files from record to record, using the LATEST record of each stage (the one the
 * stage-status check accepted):
 *
 * - generate-sbom → scan: the scan read an SBOM the latest generate-sbom wrote (same sha256), so
 *   the vulnerability decision is about the published SBOM and not an older or hand-made one;
 * - build-package → test-install: the package that was installed is the one that was built;
 * - sign → asset and attest-provenance → asset: every published file that build-package or
 *   generate-sbom made was signed (input with the same name and sha256, and `<name>.sigstore.json`
 *   among the sign outputs) and is a subject of the provenance, so a consumer can verify it.
 *
 * A link is only checked when the stages at both ends are required and their latest records
 * passed: otherwise the stage-status check already refuses, or the user chose not to require it.
 */
export function checkCustodyLinks(
  latest: ReadonlyMap<StageName, StageRecord>,
  requiredStages: readonly StageName[],
  assets: readonly FileRecord[],
): CustodyLink[] {
  const passed = (stage: StageName): StageRecord | undefined => {
    const record = latest.get(stage);
    return requiredStages.includes(stage) && record?.status === 'passed' ? record : undefined;
  };
  const links: CustodyLink[] = [];

  const sbomRecord = passed('generate-sbom');
  const scanRecord = passed('scan');
  if (sbomRecord !== undefined && scanRecord !== undefined) links.push(sbomScanned(sbomRecord, scanRecord));

  const buildRecord = passed('build-package');
  const installRecord = passed('test-install');
  if (buildRecord !== undefined && installRecord !== undefined) links.push(packageInstalled(buildRecord, installRecord));

  // Which published files are the run's artifacts: by name, as outputs of the latest build or SBOM
  // record, whichever stages are required (a required sign still has to cover them).
  const produced = new Set<string>();
  for (const stage of ['build-package', 'generate-sbom'] as const) {
    for (const output of latest.get(stage)?.outputs ?? []) produced.add(output.name);
  }
  const artifacts = assets.filter((a) => produced.has(a.name));

  const signRecord = passed('sign');
  if (signRecord !== undefined) for (const artifact of artifacts) links.push(artifactSigned(signRecord, artifact));
  const provenanceRecord = passed('attest-provenance');
  if (provenanceRecord !== undefined) for (const artifact of artifacts) links.push(artifactAttested(provenanceRecord, artifact));
  return links;
}

function sbomScanned(sbomRecord: StageRecord, scanRecord: StageRecord): CustodyLink {
  const link = 'generate-sbom → scan';
  const hint = 'run scan on the SBOM the latest generate-sbom wrote (its sbom output), with this evidence pack';
  const generated = sbomRecord.outputs.filter((o) => o.role === 'sbom');
  if (generated.length === 0)
    return { link, holds: false, reason: 'the latest generate-sbom record lists no SBOM output (role sbom)', hint };
  const names = new Set(generated.map((g) => g.name));
  // The scan stage records its SBOM with role 'sbom'; a name match also counts, for older records.
  const scanned = scanRecord.inputs.filter((i) => i.role === 'sbom' || names.has(i.name));
  // generate-sbom may write the same catalogue twice (CycloneDX and SPDX, format both): one
  // document read by the scan covers both, since one record made them from the same components.
  const unscanned = generated.filter((g) => !scanned.some((s) => s.sha256 === g.sha256));
  if (unscanned.length < generated.length) return { link, holds: true };
  return {
    link,
    holds: false,
    reason: `the latest scan read ${describe(scanned)}, not the SBOM the latest generate-sbom wrote: ${describe(unscanned)}`,
    hint,
  };
}

function packageInstalled(buildRecord: StageRecord, installRecord: StageRecord): CustodyLink {
  const link = 'build-package → test-install';
  const hint = 'run test-install on the package the latest build-package built (its package output), with this evidence pack';
  const built = buildRecord.outputs.filter((o) => o.role === 'artifact');
  if (built.length === 0)
    return { link, holds: false, reason: 'the latest build-package record lists no package output (role artifact)', hint };
  // test-install records the package it installed as its 'artifact' input.
  const installed = installRecord.inputs.filter((i) => i.role === 'artifact');
  const foreign = installed.filter((i) => !built.some((b) => b.sha256 === i.sha256));
  if (installed.length > 0 && foreign.length === 0) return { link, holds: true };
  return {
    link,
    holds: false,
    reason: `the latest test-install installed ${describe(installed)}, not the package the latest build-package built: ${describe(built)}`,
    hint,
  };
}

function artifactSigned(signRecord: StageRecord, artifact: FileRecord): CustodyLink {
  const link = `sign → ${artifact.name}`;
  // A signer that rewrites a file in place records the new bytes as an output: those are what it vouches for.
  const signed = signRecord.outputs.find((o) => o.name === artifact.name) ?? signRecord.inputs.find((i) => i.name === artifact.name);
  const bundle = bundleNameFor(artifact.name);
  const hint = `list ${artifact.name} in the sign stage's 'files' and run it with this evidence pack after the stage that made the file`;
  if (signed === undefined) return { link, holds: false, reason: `the latest sign record did not sign ${artifact.name}`, hint };
  if (signed.sha256 !== artifact.sha256) {
    return {
      link,
      holds: false,
      reason: `the latest sign record signed ${artifact.name} with sha256 ${signed.sha256}, but the published file has sha256 ${artifact.sha256}`,
      hint,
    };
  }
  if (!signRecord.outputs.some((o) => o.name === bundle)) {
    return { link, holds: false, reason: `the latest sign record lists no Sigstore bundle ${bundle} for ${artifact.name}`, hint };
  }
  return { link, holds: true };
}

function artifactAttested(provenanceRecord: StageRecord, artifact: FileRecord): CustodyLink {
  const link = `attest-provenance → ${artifact.name}`;
  const hint = `list ${artifact.name} in attest-provenance's 'subjects' and run it with this evidence pack after the stage that made the file`;
  // attest-provenance records its subjects as 'artifact' inputs (materials have another role).
  const subject = provenanceRecord.inputs.find((i) => i.role === 'artifact' && i.name === artifact.name);
  if (subject === undefined) return { link, holds: false, reason: `${artifact.name} is not a subject of the latest provenance`, hint };
  if (subject.sha256 !== artifact.sha256) {
    return {
      link,
      holds: false,
      reason: `the latest provenance names ${artifact.name} with sha256 ${subject.sha256}, but the published file has sha256 ${artifact.sha256}`,
      hint,
    };
  }
  return { link, holds: true };
}

/** One PUBLISH_EVIDENCE_INCOMPLETE error per broken link, naming it. */
export function brokenLinkErrors(links: readonly CustodyLink[]): FactoryError[] {
  return links
    .filter((l) => !l.holds)
    .map(
      (l) =>
        new FactoryError('PUBLISH_EVIDENCE_INCOMPLETE', `broken chain of custody (${l.link}): ${l.reason ?? 'the records disagree'}`, {
          subject: l.link,
          hint: l.hint ?? 'run the stages in order on the same files with this evidence pack, then publish those files',
        }),
    );
}
