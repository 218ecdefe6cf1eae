import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { maxSatisfying } from '@renovatebot/pep440';
import {
  candidateFor,
  catalogRequirements,
  parsePurl,
  pythonCatalogers,
  pythonPurl,
  type CatalogContext,
  type SbomComponent,
} from '@packaging-factory/sbom';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { rm } from 'node:fs/promises';
import { FIXTURES } from './python-tools.ts';

/**
 * requirements.txt against the two inventories that assert it, each through an adapter that maps
 * our components onto that tool's semantics (the components themselves follow ours: only == and
 * === pin; an unpinned requirement is a component without a version, its specifier kept):
 *  - osv-scanner v1.9.2: version = what follows the first of ==, >=, ~= written (else "0.0.0"),
 *    dep_groups = base names of the files the requirement was found in; a missing -r include fails;
 *  - syft (guess-unpinned-requirements): an unpinned requirement gets the highest version its
 *    specifiers name that satisfies all of them ('.*' read as '.0'); none → not listed; -r lines
 *    are not followed (so its missing includes are not an error there).
 */

const INVENTORY = path.join(FIXTURES, 'package-inventory');

interface OsvCase {
  id: string;
  format: string;
  fixture: string;
  expected_packages: { name: string; version: string; dep_groups?: string[] }[];
  expected_error?: string;
}
interface SyftCase {
  id: string;
  fixture: string;
  expected_packages: { name: string; version: string; purl: string }[];
}

const osvCases = (
  JSON.parse(await readFile(path.join(INVENTORY, 'osv-scanner-v1/cases.json'), 'utf8')) as { cases: OsvCase[] }
).cases.filter((c) => c.format === 'pip requirements.txt');
const syftCase = (JSON.parse(await readFile(path.join(INVENTORY, 'syft/cases.json'), 'utf8')) as { cases: SyftCase[] }).cases.find(
  (c) => c.id === 'parse_requirements/TestParseRequirementsTxt/requirements.txt',
)!;

const tally = { osv: { passed: 0, total: osvCases.length }, syft: { passed: 0, total: syftCase.expected_packages.length } };
let session: TestSession;
let ctx: CatalogContext;
const dirs: string[] = [];
beforeAll(async () => {
  session = await makeTestSession();
  ctx = { exec: (await session.contextFor('generate-sbom')).exec, workDir: INVENTORY };
});
afterAll(async () => {
  await session.cleanup();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  console.log(`FIXTURE package-inventory/osv-scanner-requirements: ${tally.osv.passed}/${tally.osv.total}`);
  console.log(`FIXTURE package-inventory/syft-requirements (packages): ${tally.syft.passed}/${tally.syft.total}`);
  expect(tally.osv).toEqual({ passed: 11, total: 11 });
  expect(tally.syft).toEqual({ passed: 16, total: 16 });
});

const values = (c: SbomComponent, name: string): string[] => c.properties.filter(([n]) => n === name).map(([, v]) => v);

/** osv-scanner's parseLine: the last of ==, >=, ~=, != found decides; != and no operator give 0.0.0. */
function osvVersion(component: SbomComponent): string {
  if (component.version !== undefined) return component.version;
  const specifier = values(component, 'packaging-factory:pypi:specifier')[0] ?? '';
  const op = ['!=', '~=', '>=', '=='].find((o) => specifier.includes(o));
  if (op === undefined || op === '!=') return '0.0.0';
  return specifier.slice(specifier.indexOf(op) + op.length).split(',')[0]!;
}

describe('requirements.txt against osv-scanner v1.9.2 expectations', () => {
  it.each(osvCases)('$id', async (testCase) => {
    const file = path.join(INVENTORY, 'osv-scanner-v1', testCase.fixture);
    const output = await catalogRequirements({ file, shown: path.relative(INVENTORY, file) }, ctx);
    if (testCase.expected_error !== undefined) {
      // osv-scanner fails the parse; we list the include as unreadable (the stage's on-unreadable decides).
      const missing: unknown = expect.stringContaining('does-not-exist.txt');
      const reason: unknown = expect.stringContaining('ENOENT');
      expect(output.unreadable).toEqual([{ file: missing, reason }]);
      tally.osv.passed += 1;
      return;
    }
    const actual = output.components
      .map((c) => ({
        name: c.name,
        version: osvVersion(c),
        groups: values(c, 'packaging-factory:source')
          .map((s) => path.basename(s, '.txt'))
          .sort(),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const expected = testCase.expected_packages
      .map((p) => ({ name: p.name, version: p.version, groups: [...(p.dep_groups ?? [])].sort() }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(actual).toEqual(expected);
    tally.osv.passed += 1;
  });
});

/** syft's guess for an unpinned requirement (see the header). */
function syftVersion(component: SbomComponent): string | undefined {
  if (component.version !== undefined) return component.version;
  const specifier = values(component, 'packaging-factory:pypi:specifier')[0];
  if (specifier === undefined) return undefined;
  const candidates = specifier.split(',').map((s) => s.replace(/^(===|==|!=|~=|<=|>=|<|>)/, '').replace(/\.\*$/, '.0'));
  return maxSatisfying(candidates, specifier) ?? undefined;
}

describe('requirements.txt against syft expectations (purls compared parsed)', () => {
  let actual: { name: string; version: string; purl: string }[] = [];
  let unpinnedNote = '';
  beforeAll(async () => {
    const file = path.join(INVENTORY, 'syft', syftCase.fixture);
    const output = await catalogRequirements({ file, shown: 'requirements.txt' }, ctx);
    actual = output.components.flatMap((c) => {
      const version = syftVersion(c);
      return version === undefined
        ? []
        : [{ name: c.name, version, purl: c.version === undefined ? pythonPurl(c.name, version) : c.purl! }];
    });
    unpinnedNote = output.notes.find((n) => n.includes('not pinned')) ?? '';
    // syft does not follow -r; we do, and list the two missing includes.
    expect(output.unreadable.map((u) => u.file)).toEqual([expect.stringContaining('other-requirements.txt')]);
  });
  it.each(syftCase.expected_packages)('$purl', (wanted) => {
    const found = actual.find((a) => a.name === wanted.name && a.version === wanted.version);
    expect(found).toBeDefined();
    // packageurl-js and our canonical form may differ in percent-encoding only: compare the parts.
    expect(parsePurl(found!.purl)).toEqual(parsePurl(wanted.purl));
    tally.syft.passed += 1;
  });
  it('lists nothing syft does not (after its guess), and says which requirements are unpinned', () => {
    expect(actual.map((a) => `${a.name}@${a.version}`).sort()).toEqual(
      syftCase.expected_packages.map((p) => `${p.name}@${p.version}`).sort(),
    );
    expect(unpinnedNote).toContain('coverage!=3.5');
    expect(unpinnedNote).toContain('numpynew');
  });
});

describe('requirements files: pins, constraints, hashes, markers', () => {
  it('pins from a -c constraints file, follows -r once, keeps hashes and markers', async () => {
    const dir = await tempDir('requirements-');
    dirs.push(dir);
    await mkdir(path.join(dir, 'deps'));
    await writeFile(
      path.join(dir, 'requirements.txt'),
      [
        '-c deps/constraints.txt',
        '-r deps/base.txt',
        'flask[async]',
        'Jinja2==3.1.4 \\',
        '    --hash=sha256:aaaa --hash=sha256:bbbb',
        'pywin32==306 ; sys_platform == "win32"',
        '-e git+https://github.com/pallets/click.git@8.1.7#egg=click',
        './wheels/local-1.0-py3-none-any.whl',
        '--index-url https://pypi.example.org/simple',
      ].join('\n'),
    );
    await writeFile(path.join(dir, 'deps/base.txt'), '-r ../requirements.txt\nitsdangerous==2.2.0\n');
    await writeFile(path.join(dir, 'deps/constraints.txt'), 'Flask==3.0.3\nwerkzeug==3.0.4\n');
    const file = path.join(dir, 'requirements.txt');
    expect(pythonCatalogers.find((c) => c.matches(candidateFor(file, 'requirements.txt', false)))?.kind).toBe('python-requirements');
    const output = await catalogRequirements({ file, shown: 'requirements.txt' }, { ...ctx, workDir: dir });
    const byRef = new Map(output.components.map((c) => [c.ref, c]));
    expect([...byRef.keys()]).toEqual([
      'pkg:pypi/click',
      'pkg:pypi/flask@3.0.3',
      'pkg:pypi/itsdangerous@2.2.0',
      'pkg:pypi/jinja2@3.1.4',
      'pkg:pypi/pywin32@306',
    ]);
    // werkzeug is only constrained, never required: not installed, not listed.
    const flask = byRef.get('pkg:pypi/flask@3.0.3')!;
    expect(values(flask, 'packaging-factory:pypi:pinned-by')).toEqual(['deps/constraints.txt:1']);
    expect(values(flask, 'packaging-factory:pypi:extras')).toEqual(['async']);
    expect(values(byRef.get('pkg:pypi/jinja2@3.1.4')!, 'packaging-factory:pypi:hash')).toEqual(['sha256:aaaa', 'sha256:bbbb']);
    expect(values(byRef.get('pkg:pypi/pywin32@306')!, 'packaging-factory:pypi:marker')).toEqual(['sys_platform == "win32"']);
    expect(values(byRef.get('pkg:pypi/itsdangerous@2.2.0')!, 'packaging-factory:source')).toEqual(['deps/base.txt']);
    const click = byRef.get('pkg:pypi/click')!;
    expect(values(click, 'packaging-factory:pypi:editable')).toEqual(['true']);
    expect(click.externalReferences).toEqual([{ type: 'vcs', url: 'git+https://github.com/pallets/click.git@8.1.7#egg=click' }]);
    expect(output.notes).toEqual([
      expect.stringContaining('1 requirement(s) not pinned'),
      "requirements.txt:8: './wheels/local-1.0-py3-none-any.whl' names a file or repository, not a project: not catalogued",
    ]);
    expect(output.unreadable).toEqual([]);
  });

  it('claims conventionally named files in a walk, and a named .txt only when it reads as requirements', () => {
    const claims = (name: string, explicit: boolean, content: string): string | undefined => {
      const candidate = { ...candidateFor('/nonexistent/' + name, name, explicit), head: Buffer.from(content) };
      return pythonCatalogers.find((c) => c.matches(candidate))?.kind;
    };
    expect(claims('requirements-dev.txt', false, '')).toBe('python-requirements');
    expect(claims('test-requirements.txt', false, '')).toBe('python-requirements');
    expect(claims('notes.txt', false, 'flask==1.0\n')).toBeUndefined();
    expect(claims('pins.txt', true, '# pins\nflask==1.0\nDjango >= 4\n')).toBe('python-requirements');
    expect(claims('LICENSE.txt', true, 'Permission is hereby granted, free of charge\n')).toBeUndefined();
  });
});
