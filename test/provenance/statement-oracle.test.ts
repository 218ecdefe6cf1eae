import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  buildProvenanceStatement,
  buildStatement,
  CLI_BUILDER_ID,
  FACTORY_BUILD_TYPE,
  validateStatement,
} from '@packaging-factory/provenance';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../../shared/fixtures/in-toto-slsa');

interface Cases {
  examples: { file: string; what: string; payloadType?: string }[];
  intoto_statement_builder_case: {
    input: { subjects: { name: string; digest: Record<string, string> }[]; predicate: { type: string; params: Record<string, unknown> } };
    expected_statement: unknown;
  };
}

const cases = JSON.parse(readFileSync(path.join(fixtures, 'cases.json'), 'utf8')) as Cases;
const read = (file: string): string => readFileSync(path.join(fixtures, file), 'utf8');

/** Oracle tally, printed at the end: every fixture case and whether we agreed with it. */
const tally: { name: string; passed: boolean }[] = [];
afterAll(() => {
  const passed = tally.filter((t) => t.passed).length;
  console.log(
    `in-toto-slsa oracle: ${passed}/${tally.length} cases agree\n${tally.map((t) => `  ${t.passed ? 'ok  ' : 'FAIL'} ${t.name}`).join('\n')}`,
  );
});

describe('fixture oracle (../shared/fixtures/in-toto-slsa)', () => {
  test('the actions/toolkit builder case: subjects + predicate give the expected Statement, byte for byte', () => {
    const { input, expected_statement } = cases.intoto_statement_builder_case;
    const statement = buildStatement(input.subjects, input.predicate.type, input.predicate.params);
    const agrees = JSON.stringify(statement) === JSON.stringify(expected_statement);
    tally.push({ name: 'intoto_statement_builder_case', passed: agrees });
    expect(JSON.stringify(statement)).toBe(JSON.stringify(expected_statement));
    // The oracle's predicateType "predicatey" is not a URI: our validator says so (TypeURI, field_types.md).
    expect(validateStatement(statement).errors.join('\n')).toMatch(/predicateType/);
  });

  test.each(cases.examples.map((e) => [e.file, e] as const))('%s is judged as the spec says', (file) => {
    const document = JSON.parse(read(file)) as { _type: string };
    const result = validateStatement(document);
    // Real Statement v1 + SLSA v1 documents are valid; slsa-github-generator's container-builder
    // fixture is a Statement v0.1 with predicateType provenance/v1.0, which is not in-toto v1.
    const expectValid = document._type === 'https://in-toto.io/Statement/v1';
    tally.push({ name: `${file} (${expectValid ? 'valid' : 'invalid'})`, passed: result.valid === expectValid });
    expect(result.errors.length === 0).toBe(expectValid);
    if (!expectValid) expect(result.errors.join('\n')).toMatch(/_type/);
  });

  test('compact DSSE payloads from real bundles re-serialize to the same bytes (so our payload form matches producers)', () => {
    for (const example of cases.examples.filter((e) => e.payloadType !== undefined)) {
      const text = read(example.file);
      if (text.trimStart().startsWith('{\n')) continue; // pretty-printed by its producer
      const same = JSON.stringify(JSON.parse(text)) === text.replace(/\n$/, '');
      tally.push({ name: `${example.file} payload bytes`, passed: same });
      expect(same).toBe(true);
    }
  });

  test('in GitHub Actions, our provenance names the workflow, builder and source commit as GitHub does', () => {
    const example = JSON.parse(read('examples/sigstore-conformance-statement.json')) as {
      subject: { name: string; digest: { sha256: string } }[];
      predicate: {
        buildDefinition: { externalParameters: { workflow: unknown }; resolvedDependencies: unknown[] };
        runDetails: { builder: { id: string } };
      };
    };
    const statement = buildProvenanceStatement({
      subjects: example.subject,
      materials: [],
      env: {
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'loosebazooka/aa-test',
        GITHUB_WORKFLOW_REF: 'loosebazooka/aa-test/.github/workflows/provenance.yaml@refs/heads/main',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: 'a9cd7bf0bbfd5732800b8196ce893ae9915b1e87',
        GITHUB_EVENT_NAME: 'workflow_dispatch',
        GITHUB_RUN_ID: '14115120610',
        GITHUB_RUN_ATTEMPT: '1',
      },
      workDir: '/home/runner/work/aa-test/aa-test',
      correlationId: 'gh-loosebazooka_aa-test-14115120610-1',
      startedOn: new Date('2025-03-27T10:00:00Z'),
      finishedOn: new Date('2025-03-27T10:05:00Z'),
    });
    const predicate = statement.predicate!;
    const checks: [string, boolean][] = [
      [
        'workflow',
        JSON.stringify(predicate.buildDefinition.externalParameters['workflow']) ===
          JSON.stringify(example.predicate.buildDefinition.externalParameters.workflow),
      ],
      [
        'resolvedDependencies',
        JSON.stringify(predicate.buildDefinition.resolvedDependencies) ===
          JSON.stringify(example.predicate.buildDefinition.resolvedDependencies),
      ],
      ['builder.id', predicate.runDetails.builder.id === example.predicate.runDetails.builder.id],
      ['subject', JSON.stringify(statement.subject) === JSON.stringify(example.subject)],
    ];
    for (const [name, passed] of checks) tally.push({ name: `github-mode ${name} equals sigstore-conformance-statement.json`, passed });
    expect(Object.fromEntries(checks)).toEqual({ workflow: true, resolvedDependencies: true, 'builder.id': true, subject: true });
    expect(predicate.buildDefinition.externalParameters['eventName']).toBe('workflow_dispatch');
    expect(predicate.runDetails.metadata?.invocationId).toBe('gh-loosebazooka_aa-test-14115120610-1');
    expect(validateStatement(statement)).toEqual({ valid: true, errors: [], warnings: [] });
  });
});

type Obj = Record<string, unknown>;

/** The object at a dotted path (numeric parts index arrays), for mutating parsed JSON in tests. */
function at(root: Obj, dotted: string): Obj {
  let current: unknown = root;
  for (const part of dotted.split('.')) current = (current as Obj)[part];
  return current as Obj;
}

describe('the validator rejects what the spec forbids', () => {
  function ours(): Obj {
    return JSON.parse(
      JSON.stringify(
        buildProvenanceStatement({
          subjects: [{ name: 'a.deb', digest: { sha256: 'a'.repeat(64) } }],
          materials: [{ name: 'src/lock.json', digest: { sha256: 'b'.repeat(64) } }],
          env: {},
          workDir: '/work/project',
          correlationId: 'run-1',
          startedOn: new Date('2025-01-01T00:00:00Z'),
          finishedOn: new Date('2025-01-01T00:01:00Z'),
          invocation: { pipeline: { path: 'pipeline.yml', sha256: 'c'.repeat(64) }, command: ['factory', 'run', 'pipeline.yml'] },
        }),
      ),
    ) as Obj;
  }

  test('our CLI-mode statement is valid, uses our build type and the CLI builder, and names no host or absolute path', () => {
    const statement = ours();
    expect(validateStatement(statement)).toEqual({ valid: true, errors: [], warnings: [] });
    expect(at(statement, 'predicate.buildDefinition')['buildType']).toBe(FACTORY_BUILD_TYPE);
    expect(at(statement, 'predicate.runDetails.builder')['id']).toBe(CLI_BUILDER_ID);
    expect(at(statement, 'predicate.buildDefinition.externalParameters')).toEqual({
      pipeline: { path: 'pipeline.yml', sha256: 'c'.repeat(64) },
      workingDirectory: 'project',
      command: ['factory', 'run', 'pipeline.yml'],
    });
    expect(JSON.stringify(statement)).not.toContain('/work/project');
  });

  test.each<[string, (s: Obj) => void, RegExp]>([
    ['an old _type', (s) => (s['_type'] = 'https://in-toto.io/Statement/v0.1'), /_type/],
    ['no subject', (s) => (s['subject'] = []), /subject/],
    ['a subject without digest', (s) => delete at(s, 'subject.0')['digest'], /subject\/0/],
    ['an uppercase sha256', (s) => (at(s, 'subject.0.digest')['sha256'] = 'A'.repeat(64)), /subject\/0\/digest\/sha256/],
    ['a short sha256', (s) => (at(s, 'subject.0.digest')['sha256'] = 'abc'), /sha256/],
    ['an empty digest set', (s) => (at(s, 'subject.0')['digest'] = {}), /digest/],
    ['a predicateType that is not a URI', (s) => (s['predicateType'] = 'provenance'), /predicateType/],
    ['no builder.id', (s) => delete at(s, 'predicate.runDetails.builder')['id'], /builder/],
    ['no buildDefinition', (s) => delete at(s, 'predicate')['buildDefinition'], /buildDefinition/],
    [
      'an uppercase scheme in buildType',
      (s) => (at(s, 'predicate.buildDefinition')['buildType'] = 'HTTPS://example.com/bt/v1'),
      /buildType/,
    ],
    [
      'an uppercase host in builder.id',
      (s) => (at(s, 'predicate.runDetails.builder')['id'] = 'https://Example.com/builder'),
      /builder\/id/,
    ],
    ['a local timestamp', (s) => (at(s, 'predicate.runDetails.metadata')['startedOn'] = '2025-01-01T01:00:00+01:00'), /startedOn/],
    [
      'finishedOn before startedOn',
      (s) => (at(s, 'predicate.runDetails.metadata')['finishedOn'] = '2024-12-31T00:00:00Z'),
      /finishedOn is before startedOn/,
    ],
    [
      'a dependency with only a name',
      (s) => (at(s, 'predicate.buildDefinition')['resolvedDependencies'] = [{ name: 'x' }]),
      /resolvedDependencies\/0/,
    ],
    ['non-string builder versions', (s) => (at(s, 'predicate.runDetails.builder')['version'] = { x: 1 }), /version/],
  ])('%s', (_label, mutate, message) => {
    const statement = ours();
    mutate(statement);
    const result = validateStatement(statement);
    expect(result.valid).toBe(false);
    expect(result.errors.join('\n')).toMatch(message);
  });

  test('duplicate subject names and empty externalParameters are warnings (SHOULDs), not errors', () => {
    const statement = ours();
    const subjects = statement['subject'] as Obj[];
    subjects.push({ ...subjects[0] });
    at(statement, 'predicate.buildDefinition')['externalParameters'] = {};
    const result = validateStatement(statement);
    expect(result.valid).toBe(true);
    expect(result.warnings.join('\n')).toMatch(/not unique/);
    expect(result.warnings.join('\n')).toMatch(/externalParameters/);
  });
});
