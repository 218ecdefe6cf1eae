/**
 * Static checks of what GitHub reads without running our code: every action.yml, every workflow and
 * every workflow example in the docs, validated by GitHub's language service; each action's inputs and
 * outputs equal to its stage definition's (plus the common ones); workflows pinned and least-privileged.
 * An expected file that is missing is a failure, never a skip.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { InputSpec, StageDefinition } from '@packaging-factory/core';
import { COMMON_INPUTS, COMMON_OUTPUTS } from '../../actions/common/src/common-inputs.ts';
import { formatDiagnostics, messageOf, validateYamlFile, validateYamlText, type YamlValidation } from '../support/languageservice.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

/** Each action, the package that owns its stage, and the exported StageDefinition. */
const ACTIONS: Record<string, { module: string; definition: string }> = {
  'build-package': { module: '@packaging-factory/formats', definition: 'buildPackageStage' },
  'generate-sbom': { module: '@packaging-factory/sbom', definition: 'generateSbomStage' },
  scan: { module: '@packaging-factory/vuln', definition: 'scanStage' },
  sign: { module: '@packaging-factory/signing', definition: 'signStage' },
  'test-install': { module: '@packaging-factory/install-test', definition: 'testInstallStage' },
  'attest-provenance': { module: '@packaging-factory/provenance', definition: 'attestProvenanceStage' },
  publish: { module: '@packaging-factory/publish', definition: 'publishStage' },
  verify: { module: '@packaging-factory/signing', definition: 'verifyStage' },
};

/** The pipeline stages the reusable workflow chains (verify is for consumers). */
const PIPELINE_ACTIONS = ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install', 'attest-provenance', 'publish'];

const WORKFLOWS = ['ci.yml', 'factory.yml', 'release.yml'];

interface ActionYml {
  name?: string;
  description?: string;
  branding?: { icon?: string; color?: string };
  inputs?: Record<string, { description?: string; required?: boolean; default?: unknown } | null>;
  outputs?: Record<string, { description?: string } | null>;
  runs?: { using?: string; main?: string };
}

async function readActionYml(name: string): Promise<ActionYml> {
  const file = path.join(root, 'actions', name, 'action.yml');
  if (!existsSync(file)) throw new Error(`actions/${name}/action.yml is missing`);
  return parseYaml(await readFile(file, 'utf8')) as ActionYml;
}

async function stageDefinition(name: string): Promise<StageDefinition<unknown>> {
  const { module, definition } = ACTIONS[name]!;
  const exports = (await import(module)) as Record<string, unknown>;
  const value = exports[definition] as StageDefinition<unknown> | undefined;
  if (value === undefined) throw new Error(`${module} does not export ${definition}`);
  return value;
}

const sorted = (names: Iterable<string>): string[] => [...names].sort();

function expectValid(result: YamlValidation): void {
  // The message lists every diagnostic, so a failure says where and why.
  expect({ file: result.uri, errors: formatDiagnostics(result, result.errors) }).toEqual({ file: result.uri, errors: '' });
}

/** Input and output names a source file uses literally through @actions/core. */
function namesUsedInSource(source: string): { inputs: string[]; outputs: string[] } {
  const inputs = [...source.matchAll(/\bget(?:Boolean|Multiline)?Input\(\s*['"`]([^'"`]+)['"`]/g)].map((m) => m[1]!);
  const outputs = [...source.matchAll(/\bsetOutput\(\s*['"`]([^'"`]+)['"`]/g)].map((m) => m[1]!);
  return { inputs, outputs };
}

async function sourceFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

describe('actions/*/action.yml', () => {
  test('the actions directory holds exactly the expected actions', async () => {
    const entries = await readdir(path.join(root, 'actions'), { withFileTypes: true });
    const withMetadata = entries.filter((e) => e.isDirectory() && existsSync(path.join(root, 'actions', e.name, 'action.yml')));
    expect(sorted(withMetadata.map((e) => e.name))).toEqual(sorted(Object.keys(ACTIONS)));
  });

  test('the common inputs every action takes are the ones the runtime reads', () => {
    expect(sorted(Object.keys(COMMON_INPUTS))).toEqual(['correlation-id', 'event-log', 'evidence-pack']);
  });

  describe.each(Object.keys(ACTIONS))('%s', (name) => {
    test('validates with @actions/languageservice', async () => {
      expectValid(await validateYamlFile(path.join(root, 'actions', name, 'action.yml')));
    });

    test(`runs on node24 from ../../dist/${name}/index.js, which exists`, async () => {
      const action = await readActionYml(name);
      expect(action.runs).toEqual({ using: 'node24', main: `../../dist/${name}/index.js` });
      expect(existsSync(path.join(root, 'dist', name, 'index.js'))).toBe(true);
    });

    test('has a name, a description and branding (icon and color)', async () => {
      const action = await readActionYml(name);
      expect(action.name).toEqual(expect.stringMatching(/\S/));
      expect(action.description).toEqual(expect.stringMatching(/\S/));
      // The language service checks the values against GitHub's lists of Feather icons and colours.
      expect(action.branding?.icon).toMatch(/\S/);
      expect(action.branding?.color).toMatch(/\S/);
    });

    test('every input and output has a description', async () => {
      const action = await readActionYml(name);
      const undocumented = [
        ...Object.entries(action.inputs ?? {}).filter(
          ([, spec]) => typeof spec?.description !== 'string' || spec.description.trim() === '',
        ),
        ...Object.entries(action.outputs ?? {}).filter(
          ([, spec]) => typeof spec?.description !== 'string' || spec.description.trim() === '',
        ),
      ].map(([n]) => n);
      expect(undocumented).toEqual([]);
    });

    test('inputs and outputs are the stage definition’s plus the common ones', async () => {
      const action = await readActionYml(name);
      const definition = await stageDefinition(name);
      expect(definition.name).toBe(name);
      expect(sorted(Object.keys(action.inputs ?? {}))).toEqual(
        sorted(new Set([...Object.keys(definition.inputs), ...Object.keys(COMMON_INPUTS)])),
      );
      expect(sorted(Object.keys(action.outputs ?? {}))).toEqual(
        sorted(new Set([...Object.keys(definition.outputs), ...Object.keys(COMMON_OUTPUTS)])),
      );
    });

    test('required flags and plain defaults agree with the stage definition', async () => {
      const action = await readActionYml(name);
      const definition = await stageDefinition(name);
      const specs: Record<string, InputSpec> = { ...definition.inputs, ...COMMON_INPUTS };
      const disagreements: string[] = [];
      for (const [input, declared] of Object.entries(action.inputs ?? {})) {
        const spec = specs[input];
        if (spec === undefined) continue;
        if ((declared?.required === true) !== (spec.required === true)) disagreements.push(`${input}: required`);
        const value = declared?.default;
        const fallback = value === undefined || value === null ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
        // An expression default (${{ github.token }}) is the action's way to give what the CLI takes from the environment.
        if (fallback !== undefined && fallback.includes('${{')) continue;
        if (fallback !== spec.default) disagreements.push(`${input}: default ${String(fallback)} vs ${String(spec.default)}`);
      }
      expect(disagreements).toEqual([]);
    });

    test('src/index.ts runs the definition exported by its package', async () => {
      const { module, definition } = ACTIONS[name]!;
      const source = await readFile(path.join(root, 'actions', name, 'src', 'index.ts'), 'utf8');
      expect(source).toMatch(new RegExp(`import \\{[^}]*\\b${definition}\\b[^}]*\\} from '${module}'`));
      expect(source).toMatch(new RegExp(`runAction\\(${definition}\\)`));
    });

    test('every input and output name used in src is declared, and the declared ones are read', async () => {
      const action = await readActionYml(name);
      const files = [
        ...(await sourceFiles(path.join(root, 'actions', name, 'src'))),
        ...(await sourceFiles(path.join(root, 'actions', 'common', 'src'))),
      ];
      const used = { inputs: new Set<string>(), outputs: new Set<string>() };
      for (const file of files) {
        const names = namesUsedInSource(await readFile(file, 'utf8'));
        names.inputs.forEach((n) => used.inputs.add(n));
        names.outputs.forEach((n) => used.outputs.add(n));
      }
      const inputs = Object.keys(action.inputs ?? {});
      const outputs = Object.keys(action.outputs ?? {});
      expect(sorted([...used.inputs].filter((n) => !inputs.includes(n)))).toEqual([]);
      expect(sorted([...used.outputs].filter((n) => !outputs.includes(n)))).toEqual([]);
      // The other way round: the runtime reads every declared input and sets every declared output
      // through the definition, which the previous test ties to action.yml.
      const definition = await stageDefinition(name);
      expect(sorted(inputs.filter((n) => !(n in definition.inputs) && !(n in COMMON_INPUTS)))).toEqual([]);
      expect(sorted(outputs.filter((n) => !(n in definition.outputs) && !(n in COMMON_OUTPUTS)))).toEqual([]);
    });
  });
});

describe('.github/workflows', () => {
  test('ci, factory and release workflows exist', () => {
    for (const file of WORKFLOWS) expect(existsSync(path.join(root, '.github', 'workflows', file))).toBe(true);
  });

  const workflowFiles = (): string[] => WORKFLOWS.map((f) => path.join(root, '.github', 'workflows', f));

  test.each(WORKFLOWS)('%s validates with @actions/languageservice, our action inputs included', async (file) => {
    expectValid(await validateYamlFile(path.join(root, '.github', 'workflows', file)));
  });

  test('every workflow in the directory validates', async () => {
    const files = (await readdir(path.join(root, '.github', 'workflows'))).filter((f) => /\.ya?ml$/.test(f));
    for (const file of files) expectValid(await validateYamlFile(path.join(root, '.github', 'workflows', file)));
  });

  test('third-party actions are pinned by full commit SHA with a version comment', async () => {
    const unpinned: string[] = [];
    for (const file of workflowFiles()) {
      for (const line of (await readFile(file, 'utf8')).split('\n')) {
        const match = line.match(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/);
        // Our own actions are first-party: referenced by the release tag the release workflow maintains.
        if (
          match === null ||
          match[1]!.startsWith('./') ||
          match[1]!.startsWith('$/') ||
          match[1]!.startsWith('packaging-factory/packaging-factory/')
        )
          continue;
        const [, ref = ''] = match[1]!.split('@');
        if (!/^[0-9a-f]{40}$/.test(ref) || !/#\s*v\d+(\.\d+)*/.test(match[2] ?? ''))
          unpinned.push(`${path.basename(file)}: ${line.trim()}`);
      }
    }
    expect(unpinned).toEqual([]);
  });

  test('no token permissions at the top, an explicit grant on every job', async () => {
    const problems: string[] = [];
    for (const file of workflowFiles()) {
      const workflow = parseYaml(await readFile(file, 'utf8')) as {
        permissions?: unknown;
        jobs: Record<string, { permissions?: unknown }>;
      };
      if (JSON.stringify(workflow.permissions) !== '{}') problems.push(`${path.basename(file)}: top-level permissions must be {}`);
      for (const [id, job] of Object.entries(workflow.jobs)) {
        if (job.permissions === undefined) problems.push(`${path.basename(file)}: job ${id} has no permissions`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('checkout never leaves credentials behind', async () => {
    const problems: string[] = [];
    for (const file of workflowFiles()) {
      const workflow = parseYaml(await readFile(file, 'utf8')) as {
        jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      for (const [id, job] of Object.entries(workflow.jobs)) {
        for (const step of job.steps ?? []) {
          if (step.uses?.startsWith('actions/checkout@') === true && step.with?.['persist-credentials'] !== false) {
            problems.push(`${path.basename(file)}: job ${id}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('ci installs exactly the Debian packages .ci/run installs', async () => {
    const script = await readFile(path.join(root, '.ci', 'run'), 'utf8');
    const fromScript = script
      .match(/^APT_PACKAGES=\(([^)]*)\)/m)?.[1]
      ?.trim()
      .split(/\s+/);
    const ci = await readFile(path.join(root, '.github', 'workflows', 'ci.yml'), 'utf8');
    const fromCi = ci
      .match(/apt-get install [^\n]*--no-install-recommends ([^\n]+)/)?.[1]
      ?.trim()
      .split(/\s+/);
    expect(fromScript).toBeDefined();
    expect(sorted(fromCi ?? [])).toEqual(sorted(fromScript ?? []));
  });

  test('the reusable workflow chains the seven stages, publish alone may write', async () => {
    type Job = { permissions?: Record<string, string>; needs?: string | string[]; steps?: { uses?: string }[] };
    const workflow = parseYaml(await readFile(path.join(root, '.github', 'workflows', 'factory.yml'), 'utf8')) as {
      on: { workflow_call?: unknown };
      jobs: Record<string, Job>;
    };
    expect(workflow.on.workflow_call).toBeDefined();
    const used = Object.values(workflow.jobs).flatMap((job) => (job.steps ?? []).map((s) => s.uses ?? ''));
    expect(PIPELINE_ACTIONS.filter((a) => !used.includes(`packaging-factory/packaging-factory/actions/${a}@v1`))).toEqual([]);
    const writers = Object.entries(workflow.jobs).filter(([, job]) => Object.values(job.permissions ?? {}).includes('write'));
    expect(writers.map(([id, job]) => [id, job.permissions])).toEqual([['publish', { contents: 'write' }]]);
    // Signing runs in a job of its own, apart from the build that handles untrusted sources.
    const jobOf = (action: string): string | undefined =>
      Object.entries(workflow.jobs).find(([, job]) =>
        (job.steps ?? []).some((s) => s.uses === `packaging-factory/packaging-factory/actions/${action}@v1`),
      )?.[0];
    expect(new Set([jobOf('build-package'), jobOf('generate-sbom'), jobOf('scan')]).size).toBe(1);
    const separate = ['sign', 'test-install', 'attest-provenance', 'publish'].map(jobOf);
    expect(new Set([jobOf('build-package'), ...separate]).size).toBe(5);
  });

  test('release runs the reusable workflow on version tags', async () => {
    const workflow = parseYaml(await readFile(path.join(root, '.github', 'workflows', 'release.yml'), 'utf8')) as {
      on: { push?: { tags?: string[] } };
      jobs: Record<string, { uses?: string }>;
    };
    expect(workflow.on.push?.tags).toEqual(['v*']);
    expect(Object.values(workflow.jobs).map((j) => j.uses)).toContain('./.github/workflows/factory.yml');
  });
});

describe('workflow examples in the docs', () => {
  async function markdownFiles(): Promise<string[]> {
    const files = [path.join(root, 'README.md')];
    const walk = async (dir: string): Promise<void> => {
      if (!existsSync(dir)) return;
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.name.endsWith('.md')) files.push(full);
      }
    };
    await walk(path.join(root, 'docs'));
    return files.filter((f) => existsSync(f)).sort();
  }

  test('README.md exists', () => {
    expect(existsSync(path.join(root, 'README.md'))).toBe(true);
  });

  test('every ```yaml block that is a workflow (has jobs:) validates', async () => {
    let checked = 0;
    const failures: string[] = [];
    for (const file of await markdownFiles()) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/^```ya?ml[^\n]*\n([\s\S]*?)^```/gm)) {
        const block = match[1]!;
        if (!/^jobs:/m.test(block)) continue;
        const line = text.slice(0, match.index).split('\n').length + 1;
        // Validated as a workflow; the pseudo path keeps file and line in every diagnostic.
        const result = await validateYamlText(block, `${file}.line-${line}.yml`);
        if (result.errors.length > 0) failures.push(formatDiagnostics(result, result.errors));
        checked += 1;
      }
    }
    expect(failures).toEqual([]);
    console.info(`validated ${checked} workflow example(s) in the docs`);
  });
});

describe('the validation itself can fail', () => {
  let fakeRoot: string;
  beforeAll(async () => {
    fakeRoot = await mkdtemp(path.join(os.tmpdir(), 'metadata-selfcheck-'));
    await writeFile(path.join(fakeRoot, 'package.json'), JSON.stringify({ repository: 'github:octo/factory' }));
    await mkdir(path.join(fakeRoot, 'actions', 'demo'), { recursive: true });
    await writeFile(
      path.join(fakeRoot, 'actions', 'demo', 'action.yml'),
      'name: demo\ndescription: d\ninputs:\n  needed:\n    description: n\n    required: true\n  optional:\n    description: o\nruns:\n  using: node24\n  main: index.js\n',
    );
  });
  afterAll(async () => {
    await rm(fakeRoot, { recursive: true, force: true });
  });

  const workflowUsing = (uses: string, withBlock: string): string =>
    `on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    permissions: {}\n    steps:\n      - uses: ${uses}\n${withBlock}`;

  test.each(['octo/factory/actions/demo@v1', 'octo/factory/demo@v1', '$/actions/demo', './actions/demo'])(
    'an unknown input and a missing required one are errors for %s',
    async (uses) => {
      const result = await validateYamlText(
        workflowUsing(uses, '        with:\n          optional: x\n          typo: y\n'),
        path.join(fakeRoot, 'wf.yml'),
        {
          root: fakeRoot,
        },
      );
      const messages = result.errors.map(messageOf).join('\n');
      expect(messages).toMatch(/Invalid action input 'typo'/);
      expect(messages).toMatch(/[Mm]issing required input.*needed/);
    },
  );

  test.each(['octo/factory/actions/demo@v1', '$/actions/demo', './actions/demo'])('a correct call of %s validates', async (uses) => {
    const result = await validateYamlText(workflowUsing(uses, '        with:\n          needed: x\n'), path.join(fakeRoot, 'wf.yml'), {
      root: fakeRoot,
    });
    expectValid(result);
  });

  test('an action that does not exist is an error', async () => {
    for (const uses of ['octo/factory/actions/nope@v1', '$/actions/nope', './actions/nope']) {
      const result = await validateYamlText(workflowUsing(uses, ''), path.join(fakeRoot, 'wf.yml'), { root: fakeRoot });
      expect(result.errors.length).toBeGreaterThan(0);
    }
  });

  test('third-party actions are listed as unchecked', async () => {
    const result = await validateYamlText(
      workflowUsing('actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8', ''),
      path.join(fakeRoot, 'wf.yml'),
      {
        root: fakeRoot,
      },
    );
    expectValid(result);
    expect(result.unchecked).toEqual(['actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8']);
  });

  test('a broken action.yml and a broken workflow are errors', async () => {
    const action = await validateYamlText(
      'name: x\ndescription: y\nruns:\n  using: node99\n  main: i.js\nbranding:\n  icon: no-such-icon\n',
      path.join(fakeRoot, 'actions', 'x', 'action.yml'),
      {
        root: fakeRoot,
      },
    );
    expect(action.errors.map(messageOf)).toEqual(expect.arrayContaining(["Unexpected value 'node99'", "Unexpected value 'no-such-icon'"]));
    const workflow = await validateYamlText(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n',
      path.join(fakeRoot, '.github', 'workflows', 'w.yml'),
      {
        root: fakeRoot,
      },
    );
    expect(workflow.errors.length).toBeGreaterThan(0);
  });
});
