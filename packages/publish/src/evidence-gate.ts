import { FactoryError, PIPELINE_STAGES, type FileRecord, type StageName, type StageRecord } from '@packaging-factory/core';
import { brokenLinkErrors, checkCustodyLinks, type CustodyLink } from './custody-links.ts';

export const DEFAULT_REQUIRED_STAGES: readonly StageName[] = PIPELINE_STAGES.filter((stage) => stage !== 'publish');

export interface EvidenceCheck {
  /** Errors that forbid publishing (empty when the evidence vouches for every asset). */
  errors: FactoryError[];
  /** For the summary: each required stage and what its latest record says. */
  stages: { stage: StageName; status: 'passed' | 'failed' | 'missing' }[];
  /** Assets whose digest an earlier record vouches for, with the stage that recorded it. */
  vouched: { name: string; stage: StageName }[];
  /** Assets no passing latest record vouches for, and why. */
  unvouched: { name: string; reason: string }[];
  /** The chain-of-custody links that were checked between the required stages' latest records. */
  links: CustodyLink[];
}

/**
 * The stage that normally writes a file of this name, for the hint on an unvouched asset. A guess
 * from the conventions of our stages' output names; undefined when the name says nothing.
 */
function likelyProducer(name: string): StageName | undefined {
  if (/^provenance\.|\.intoto\.jsonl$|^evidence-pack\./.test(name)) return 'attest-provenance';
  if (name.endsWith('.sigstore.json') || name.endsWith('.pem')) return 'sign';
  if (/\.(cdx|spdx)\.json$|^sbom\./.test(name)) return 'generate-sbom';
  if (/scan-report|\.sarif$/.test(name)) return 'scan';
  if (/\.(deb|rpm|apk|whl|tar\.gz|tgz|zip)$/.test(name)) return 'build-package';
  return undefined;
}

/**
 * Publish only what the evidence pack vouches for (fail closed):
 *
 * - the latest record of every required stage must have passed (a stage re-run after a failure
 *   counts by its latest record);
 * - every asset must be an output, by name AND sha256, of the latest record of an earlier stage,
 *   and that record must have passed. The latest record naming the file wins (a stage re-run
 *   later that wrote other bytes under that name makes the older copy stale:
 *   PUBLISH_DIGEST_MISMATCH); a file no record wrote, or only a superseded or failed record wrote,
 *   is refused with PUBLISH_EVIDENCE_INCOMPLETE. SHA256SUMS and release.json are written by this
 *   stage and never among the assets (asset-files.ts refuses those names);
 * - the chain of custody between the required stages holds (custody-links.ts).
 */
export function checkEvidence(
  records: readonly StageRecord[],
  requiredStages: readonly StageName[],
  assets: readonly FileRecord[],
  requireStagesInput = 'require-stages',
): EvidenceCheck {
  const earlier = records.filter((r) => r.stage !== 'publish');
  const latest = new Map<StageName, StageRecord>();
  for (const record of earlier) latest.set(record.stage, record);
  const stages = requiredStages.map((stage) => {
    const record = latest.get(stage);
    return { stage, status: record === undefined ? ('missing' as const) : record.status };
  });
  const errors: FactoryError[] = [];
  const missing = stages.filter((s) => s.status === 'missing').map((s) => s.stage);
  const failed = stages.filter((s) => s.status === 'failed').map((s) => s.stage);
  if (missing.length > 0 || failed.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`no record of ${missing.join(', ')}`);
    if (failed.length > 0) parts.push(`latest record failed for ${failed.join(', ')}`);
    errors.push(
      new FactoryError('PUBLISH_EVIDENCE_INCOMPLETE', `the evidence pack does not vouch for this release: ${parts.join('; ')}`, {
        subject: [...missing, ...failed].join(', '),
        hint: `run the missing or failed stages with this evidence pack first, or narrow '${requireStagesInput}'`,
      }),
    );
  }

  // For each name, the latest record that wrote it and what it recorded.
  const writer = new Map<string, { record: StageRecord; output: FileRecord }>();
  for (const record of earlier) for (const output of record.outputs) writer.set(output.name, { record, output });
  const vouched: EvidenceCheck['vouched'] = [];
  const unvouched: EvidenceCheck['unvouched'] = [];
  for (const asset of assets) {
    const written = writer.get(asset.name);
    if (written === undefined) {
      const producer = likelyProducer(asset.name);
      unvouched.push({
        name: asset.name,
        reason: `no earlier stage recorded it as an output${producer === undefined ? '' : `; ${producer} should have`}`,
      });
      continue;
    }
    const { record, output } = written;
    if (output.sha256 !== asset.sha256) {
      errors.push(
        new FactoryError(
          'PUBLISH_DIGEST_MISMATCH',
          `${asset.name} has sha256 ${asset.sha256}, but ${record.stage} recorded ${output.sha256}`,
          { subject: asset.path, hint: 'publish the file the pipeline built and checked, not a rebuilt or modified copy' },
        ),
      );
      continue;
    }
    if (latest.get(record.stage) !== record) {
      unvouched.push({
        name: asset.name,
        reason: `only an earlier ${record.stage} run wrote it; the latest ${record.stage} record does not`,
      });
    } else if (record.status !== 'passed') {
      unvouched.push({ name: asset.name, reason: `the latest ${record.stage} record, which wrote it, failed` });
    } else {
      vouched.push({ name: asset.name, stage: record.stage });
    }
  }
  if (unvouched.length > 0) {
    errors.push(
      new FactoryError(
        'PUBLISH_EVIDENCE_INCOMPLETE',
        `the evidence pack does not vouch for ${unvouched.length === 1 ? 'this asset' : `these ${unvouched.length} assets`}: ${unvouched
          .map((u) => `${u.name} (${u.reason})`)
          .join('; ')}`,
        {
          subject: unvouched.map((u) => u.name).join(', '),
          hint: 'publish only files a passing stage wrote in this run (packages from build-package, SBOMs from generate-sbom, reports from scan, bundles and keys from sign, provenance from attest-provenance): run the stage that makes each file with this evidence pack, or leave the file out of the files list',
        },
      ),
    );
  }

  const links = checkCustodyLinks(latest, requiredStages, assets);
  errors.push(...brokenLinkErrors(links));
  return { errors, stages, vouched, unvouched, links };
}
