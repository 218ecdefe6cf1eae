import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadOsvDatabase, readSbomComponents, scanComponents, type Finding } from '@packaging-factory/vuln';
import { FIXTURES } from '../vuln/fixtures.ts';
import { npm, writeSbom } from '../vuln/scan-fixtures.ts';

export const MATCHING_DB = path.join(FIXTURES, 'osv-matching', 'db');

export interface ScannedSbom {
  sbom: string;
  sbomText: string;
  findings: Finding[];
}

/**
 * Real findings: a CycloneDX SBOM with lodash 4.17.20, minimist 1.2.5 and ansi-html 0.0.7 matched
 * against the shared osv-matching records (GHSA-29mw-wpgm-hmr9 moderate and GHSA-35jh-r3h4-6jhm high
 * in lodash, GHSA-xvch-5gv4-984h critical in minimist, GHSA-whgm-jr23-g3j9 high in ansi-html), fail-on high.
 */
export async function scanVulnerableSbom(dir: string): Promise<ScannedSbom> {
  const sbom = await writeSbom(dir, [npm('lodash', '4.17.20'), npm('minimist', '1.2.5'), npm('ansi-html', '0.0.7')]);
  const database = await loadOsvDatabase(path.join(MATCHING_DB, 'npm'));
  const components = await readSbomComponents(sbom);
  const outcome = scanComponents(database, components, { failOn: 'high', unknownSeverity: 'high' });
  return { sbom, sbomText: await readFile(sbom, 'utf8'), findings: outcome.findings };
}

/** The finding for a vulnerability id (fails the test when the scan did not find it). */
export function findingFor(findings: readonly Finding[], id: string): Finding {
  const found = findings.find((f) => f.id === id);
  if (found === undefined) throw new Error(`no finding ${id} among ${findings.map((f) => f.id).join(', ')}`);
  return found;
}
