import { ecosystemSupport } from '@packaging-factory/vuln';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkComparisons, FIXTURES, readComparisons } from '../vuln/fixtures.ts';

/**
 * Every line of ../shared/fixtures/version-compare (cases.json names the ecosystems of each file),
 * with the exact number of lines expected to pass. The lines that cannot pass are listed with the
 * reason: each is a version the ecosystem's own tool refuses, so refusing it is the right answer.
 */
interface FixtureRun {
  ecosystem: string;
  file: string;
  /** Lines (as written in the file) that fail, each because the version is invalid in this ecosystem. */
  expectedFailures: string[];
}

const SEMVER_BEYOND_REGISTRY = [
  // node-semver (the npm registry's rules) and the semver crate (u64 numbers) refuse numbers past
  // their integer range, and every SemVer parser refuses a fourth numeric component.
  '999999999999999999999999999991 < 999999999999999999999999999999',
  '999999999999999999999999999991.999999999999999999999999999991.999999999999999999999999999991 < 999999999999999999999999999999.999999999999999999999999999991.999999999999999999999999999991',
  '1.1.3.4.5 = 1.1.3.4.5',
];

const RUNS: FixtureRun[] = [
  { ecosystem: 'npm', file: 'semver-versions.txt', expectedFailures: SEMVER_BEYOND_REGISTRY },
  {
    ecosystem: 'Go',
    file: 'semver-versions.txt',
    // golang.org/x/mod/semver takes numbers of any length (and `v999…` is the vMAJOR shorthand), but
    // a fifth numeric component is not a Go module version: `go mod` refuses it.
    expectedFailures: ['1.1.3.4.5 = 1.1.3.4.5'],
  },
  {
    ecosystem: 'crates.io',
    file: 'semver-versions.txt',
    expectedFailures: SEMVER_BEYOND_REGISTRY,
  },
  { ecosystem: 'PyPI', file: 'pypi-versions.txt', expectedFailures: [] },
  { ecosystem: 'PyPI', file: 'pypi-versions-generated.part-shared.txt', expectedFailures: [] },
  { ecosystem: 'Debian', file: 'debian-versions.txt', expectedFailures: [] },
  { ecosystem: 'Debian', file: 'debian-versions-generated.part-shared.txt', expectedFailures: [] },
  { ecosystem: 'Alpine', file: 'alpine-versions.txt', expectedFailures: [] },
  { ecosystem: 'Alpine', file: 'alpine-versions-generated.part-shared.txt', expectedFailures: [] },
  { ecosystem: 'Maven', file: 'maven-versions.txt', expectedFailures: [] },
  { ecosystem: 'Maven', file: 'maven-versions-generated.part-shared.txt', expectedFailures: [] },
  { ecosystem: 'Red Hat', file: 'redhat-versions.txt', expectedFailures: [] },
];

describe('version-compare fixtures: every line holds both ways', () => {
  it.each(RUNS.map((run) => [`${run.ecosystem} ${run.file}`, run] as const))('%s', (_label, run) => {
    const comparisons = readComparisons(run.file);
    // Through the registered support: the fixture checks what the matcher actually uses.
    const support = ecosystemSupport(run.ecosystem);
    if (support === undefined) throw new Error(`no support registered for ${run.ecosystem}`);
    const failures = checkComparisons(comparisons, (a, b) => support.compare(a, b));
    const passed = comparisons.length - failures.length;
    // Printed so the closing note quotes measured rates.
    console.log(`FIXTURE version-compare/${run.ecosystem} ${run.file}: ${passed}/${comparisons.length}`);
    expect(failures.map((f) => f.replace(/^\d+: /, '').replace(/ \(.*$/, ''))).toEqual(run.expectedFailures);
    expect(passed).toBe(comparisons.length - run.expectedFailures.length);
  });

  it('checks every file cases.json lists, for every ecosystem it names', () => {
    const cases = JSON.parse(readFileSync(path.join(FIXTURES, 'version-compare', 'cases.json'), 'utf8')) as {
      files: { file: string; ecosystems: string[] }[];
    };
    // cases.json calls the RPM file's ecosystem "Red Hat (RPM)"; OSV's name is "Red Hat".
    const listed = cases.files.flatMap((f) => f.ecosystems.map((e) => `${e.replace(' (RPM)', '')} ${f.file}`)).sort();
    expect(RUNS.map((run) => `${run.ecosystem} ${run.file}`).sort()).toEqual(listed);
  });
});
