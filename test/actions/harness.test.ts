/**
 * Proves the runner-like harness on a throwaway action written here with plain `fs`, so the
 * harness is checked independently of our bundles: if these pass, a failing dist test is the
 * bundle's fault.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  inputVariable,
  NODE_20,
  NODE_24,
  parseKeyValueFile,
  parseWorkflowCommand,
  runAction,
  STEP_SUMMARY_LIMIT,
  type ActionRun,
} from '../support/action-harness.ts';

const ACTION_YML = `name: Throwaway
description: Exercises the harness
inputs:
  fail-on:
    description: A hyphenated input with a default
    default: high
  token:
    description: Defaults to the job token
    default: \${{ github.token }}
  scratch:
    description: Defaults under the runner temp directory
    default: \${{ runner.temp }}/scratch
  package name:
    description: A name with a space
  must-have:
    description: Required, which the runner never enforces
    required: true
  exotic:
    description: A default this harness does not evaluate
    default: \${{ hashFiles('**/package-lock.json') }}
  mode:
    description: What the action does
    default: normal
outputs:
  version:
    description: process.version
runs:
  using: node24
  main: dist/index.js
  post: dist/post.js
`;

// A small ESM action using only node:fs, writing files and workflow commands the way @actions/core does.
const INDEX_JS = `import { appendFileSync, writeFileSync } from 'node:fs';
const env = process.env;
const mode = env['INPUT_MODE'];
const out = (line) => appendFileSync(env.GITHUB_OUTPUT, line + '\\n');
const inputs = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('INPUT_')));
out('version=' + process.version);
out('inputs<<ghadelimiter_1f2e');
out(JSON.stringify(inputs));
out('ghadelimiter_1f2e');
out('multiline<<EOF');
out('first line');
out('');
out('third = line << not a heredoc');
out('EOF');
out('equals=a=b<<c');
out('cwd=' + process.cwd());
out('env<<JSON_END');
out(JSON.stringify(env));
out('JSON_END');
appendFileSync(env.GITHUB_ENV, 'FROM_MAIN=yes\\nMULTI_ENV<<X\\none\\ntwo\\nX\\n');
appendFileSync(env.GITHUB_PATH, '/opt/tool/bin\\n\\n/opt/other/bin\\n');
appendFileSync(env.GITHUB_STATE, 'cleanup=please\\n');
console.log('::add-mask::s3cr3t-value');
console.log('plain log line mentioning s3cr3t-value');
console.log('::warning file=src/a.ts,line=3,col=7,title=Heads%3A up%2C really::careful%0Anext line 100%25');
console.log('::group::Details');
console.log('::debug::a debug line');
console.log('::endgroup::');
console.log('::notice::noted');
console.log('::not-a-command::stays in the log');
console.log('::set-output name=legacy::ignored');
console.log('::stop-commands::pause-token');
console.log('::error::not a command while stopped');
console.log('::pause-token::');
console.error('stderr mentions s3cr3t-value too');
appendFileSync(env.GITHUB_STEP_SUMMARY, '## Summary\\nsecret was s3cr3t-value\\n');
if (mode === 'api') {
  const response = await fetch(env.GITHUB_API_URL + '/ping', { headers: { authorization: 'Bearer ' + env['INPUT_TOKEN'] } });
  out('api=' + (await response.text()));
}
if (mode === 'big-summary') writeFileSync(env.GITHUB_STEP_SUMMARY, 'x'.repeat(${STEP_SUMMARY_LIMIT} + 1));
if (mode === 'exact-summary') writeFileSync(env.GITHUB_STEP_SUMMARY, 'y'.repeat(${STEP_SUMMARY_LIMIT}));
if (mode === 'bad-output') out('this line has neither an equals sign nor a heredoc');
if (mode === 'open-heredoc') out('dangling<<NEVER');
if (mode === 'node-options') appendFileSync(env.GITHUB_ENV, 'NODE_OPTIONS=--require /tmp/evil.js\\n');
if (mode === 'fail') {
  console.log('::error file=package.json,line=1::the gate said no');
  process.exitCode = 3;
}
if (mode === 'hang') setInterval(() => undefined, 1000);
`;

const POST_JS = `import { appendFileSync } from 'node:fs';
const env = process.env;
console.log('::notice::post saw state ' + env['STATE_cleanup'] + ', extra ' + env['STATE_extra'] + ', FROM_MAIN=' + env['FROM_MAIN']);
console.log('post PATH ' + env.PATH);
appendFileSync(env.GITHUB_STATE, 'ignored=1\\n');
appendFileSync(env.GITHUB_ENV, 'FROM_POST=1\\n');
appendFileSync(env.GITHUB_STEP_SUMMARY, 'post summary\\n');
`;

let actionDir: string;
const runs: ActionRun[] = [];
const run = async (options: Omit<Parameters<typeof runAction>[0], 'actionDir'> = {}): Promise<ActionRun> => {
  const result = await runAction({ actionDir, ...options });
  runs.push(result);
  return result;
};
const outputJson = (result: ActionRun, name: string): Record<string, string> =>
  JSON.parse(result.outputs[name] ?? 'null') as Record<string, string>;

beforeAll(async () => {
  actionDir = await mkdtemp(path.join(os.tmpdir(), 'throwaway-action-'));
  await mkdir(path.join(actionDir, 'dist'));
  await writeFile(path.join(actionDir, 'action.yml'), ACTION_YML);
  await writeFile(path.join(actionDir, 'dist', 'package.json'), '{"type":"module"}\n');
  await writeFile(path.join(actionDir, 'dist', 'index.js'), INDEX_JS);
  await writeFile(path.join(actionDir, 'dist', 'post.js'), POST_JS);
});

afterAll(async () => {
  for (const r of runs) await r.cleanup();
  await rm(actionDir, { recursive: true, force: true });
});

describe('inputs', () => {
  test('given values and action.yml defaults arrive as INPUT_* with hyphens kept', async () => {
    const result = await run({ with: { 'fail-on': 'critical', 'package name': 'hello' }, token: 'ghs_token123' });
    const inputs = outputJson(result, 'inputs');
    expect(inputs['INPUT_FAIL-ON']).toBe('critical');
    expect(inputs['INPUT_PACKAGE_NAME']).toBe('hello');
    expect(inputs['INPUT_TOKEN']).toBe('ghs_token123');
    expect(inputs['INPUT_SCRATCH']).toBe(`${result.dirs.runnerTemp}/scratch`);
    expect(inputs['INPUT_MODE']).toBe('normal');
    // Required but not given: the runner sets nothing and does not complain.
    expect(inputs).not.toHaveProperty('INPUT_MUST-HAVE');
    expect(result.warnings).toContain(
      `input 'exotic': default expression '\${{ hashFiles('**/package-lock.json') }}' is not evaluated by this harness; passed verbatim`,
    );
    expect(inputs['INPUT_EXOTIC']).toBe("${{ hashFiles('**/package-lock.json') }}");
  });

  test('the default applies when an input is not given; github.token is empty without a token', async () => {
    const result = await run();
    const inputs = outputJson(result, 'inputs');
    expect(inputs['INPUT_FAIL-ON']).toBe('high');
    expect(inputs['INPUT_TOKEN']).toBe('');
  });

  test('undeclared inputs are passed on with the runner warning', async () => {
    const result = await run({ with: { 'fail-onn': 'low', another: 'x' } });
    expect(result.warnings[0]).toBe(
      "Unexpected input(s) 'fail-onn', 'another', valid inputs are ['fail-on', 'token', 'scratch', 'package name', 'must-have', 'exotic', 'mode']",
    );
    expect(outputJson(result, 'inputs')['INPUT_FAIL-ONN']).toBe('low');
  });

  test('input variable names: upper case, spaces to underscores, hyphens kept', () => {
    expect(inputVariable('fail-on')).toBe('INPUT_FAIL-ON');
    expect(inputVariable('package name')).toBe('INPUT_PACKAGE_NAME');
  });
});

describe('environment', () => {
  test('a clean job environment, the workspace as working directory, a readable push payload', async () => {
    process.env['HARNESS_LEAK_CHECK'] = 'must-not-leak';
    const result = await run({ env: { STEP_ENV: 'given' } });
    delete process.env['HARNESS_LEAK_CHECK'];
    const env = outputJson(result, 'env');
    expect(result.outputs['cwd']).toBe(result.dirs.workspace);
    expect(env['HARNESS_LEAK_CHECK']).toBeUndefined();
    expect(env['NODE_OPTIONS']).toBeUndefined();
    expect(env['STEP_ENV']).toBe('given');
    expect(env).toMatchObject({
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: result.dirs.workspace,
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_EVENT_NAME: 'push',
      RUNNER_OS: 'Linux',
      RUNNER_TEMP: result.dirs.runnerTemp,
      RUNNER_TOOL_CACHE: result.dirs.toolCache,
      HOME: result.dirs.home,
    });
    expect(env['GITHUB_SHA']).toMatch(/^[0-9a-f]{40}$/);
    expect(env['GITHUB_WORKFLOW_REF']).toBe('octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main');
    for (const name of ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY']) {
      expect(env[name]?.startsWith(path.join(result.dirs.runnerTemp, '_runner_file_commands'))).toBe(true);
    }
    const payload = JSON.parse(await readFile(env['GITHUB_EVENT_PATH']!, 'utf8')) as Record<string, unknown>;
    expect(payload).toMatchObject({ ref: 'refs/heads/main', after: env['GITHUB_SHA'], repository: { full_name: 'octo-org/octo-repo' } });
  });

  test('service URLs point the action at a loopback fake, which keeps answering (async spawn)', async () => {
    const seen: string[] = [];
    const server: Server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization}`);
      response.end('pong');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const result = await run({ with: { mode: 'api' }, token: 'ghs_abc', services: { apiUrl: `http://127.0.0.1:${port}/api/v3` } });
      expect(result.outputs['api']).toBe('pong');
      expect(seen).toEqual(['GET /api/v3/ping Bearer ghs_abc']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('file commands', () => {
  test('outputs, env, path and state are parsed like the runner, heredocs included', async () => {
    const result = await run();
    expect(result.conclusion).toBe('success');
    expect(result.outputs['multiline']).toBe('first line\n\nthird = line << not a heredoc');
    expect(result.outputs['equals']).toBe('a=b<<c');
    expect(result.env['FROM_MAIN']).toBe('yes');
    expect(result.env['MULTI_ENV']).toBe('one\ntwo');
    expect(result.path.slice(0, 2)).toEqual(['/opt/other/bin', '/opt/tool/bin']);
    expect(result.state).toEqual({ cleanup: 'please' });
  });

  test('a malformed GITHUB_OUTPUT fails the step even when the process exits 0', async () => {
    const result = await run({ with: { mode: 'bad-output' } });
    expect(result.exitCode).toBe(0);
    expect(result.conclusion).toBe('failure');
    expect(result.errors).toEqual([
      "Unable to process file command 'output' successfully.",
      "Invalid format 'this line has neither an equals sign nor a heredoc'",
    ]);
  });

  test('a heredoc without its delimiter fails the step', async () => {
    const result = await run({ with: { mode: 'open-heredoc' } });
    expect(result.conclusion).toBe('failure');
    expect(result.errors[1]).toBe("Invalid value. Matching delimiter not found 'NEVER'");
  });

  test('NODE_OPTIONS cannot be set through GITHUB_ENV', async () => {
    const result = await run({ with: { mode: 'node-options' } });
    expect(result.env['NODE_OPTIONS']).toBeUndefined();
    expect(result.errors).toContain("Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
  });

  test.each([
    ['NAME=VALUE', [['NAME', 'VALUE']]],
    [
      'A=1\n\nB=\n',
      [
        ['A', '1'],
        ['B', ''],
      ],
    ],
    [
      'H<<EOF\nline 1\nline 2\nEOF\nAFTER=x\n',
      [
        ['H', 'line 1\nline 2'],
        ['AFTER', 'x'],
      ],
    ],
    ['EMPTY<<EOF\nEOF\n', [['EMPTY', '']]],
    ['LAST<<EOF\nv\nEOF', [['LAST', 'v']]],
    // Linux runners split on LF only: the CR stays in the value.
    ['CR=v\r\n', [['CR', 'v\r']]],
  ])('parses %j', (text, expected) => {
    expect(parseKeyValueFile(text)).toEqual(expected);
  });

  test.each([
    ['=v\n', "Invalid format '=v'. Name must not be empty"],
    ['<<EOF\nv\nEOF\n', "Invalid format '<<EOF'. Name must not be empty and delimiter must not be empty"],
    ['N<<\nv\n', "Invalid format 'N<<'. Name must not be empty and delimiter must not be empty"],
    ['N<<EOF\nv\n', "Invalid value. Matching delimiter not found 'EOF'"],
    ['N<<EOF\nv', 'Invalid value. EOF marker missing new line.'],
    ['JUSTANAME\n', "Invalid format 'JUSTANAME'"],
  ])('rejects %j', (text, message) => {
    expect(() => parseKeyValueFile(text)).toThrow(message);
  });
});

describe('step summary', () => {
  test('the summary is uploaded with registered secrets masked', async () => {
    const result = await run();
    expect(result.rawSummary).toBe('## Summary\nsecret was s3cr3t-value\n');
    expect(result.summary).toBe('## Summary\nsecret was ***\n');
  });

  test('exactly 1 MiB is accepted', async () => {
    const result = await run({ with: { mode: 'exact-summary' } });
    expect(result.summary).toHaveLength(STEP_SUMMARY_LIMIT);
    expect(result.errors).toEqual([]);
  });

  test('over 1 MiB is rejected with the runner error and dropped', async () => {
    const result = await run({ with: { mode: 'big-summary' } });
    expect(result.summary).toBe('');
    expect(result.errors).toEqual(['$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k, got 1024k.']);
    expect(result.rawSummary).toHaveLength(STEP_SUMMARY_LIMIT + 1);
  });
});

describe('workflow commands', () => {
  test('annotations, groups, masks and legacy commands are parsed from stdout', async () => {
    const result = await run();
    expect(result.commands).toEqual([
      { command: 'add-mask', properties: {}, message: 's3cr3t-value' },
      {
        command: 'warning',
        properties: { file: 'src/a.ts', line: '3', col: '7', title: 'Heads: up, really' },
        message: 'careful\nnext line 100%',
      },
      { command: 'group', properties: {}, message: 'Details' },
      { command: 'debug', properties: {}, message: 'a debug line' },
      { command: 'endgroup', properties: {}, message: '' },
      { command: 'notice', properties: {}, message: 'noted' },
      { command: 'set-output', properties: { name: 'legacy' }, message: 'ignored' },
      { command: 'stop-commands', properties: {}, message: 'pause-token' },
    ]);
    expect(result.masks).toEqual(['s3cr3t-value']);
    expect(result.outputs).not.toHaveProperty('legacy');
    expect(result.warnings).toContain('The `set-output` command is deprecated and ignored by this harness: use environment files.');
    expect(result.log).toContain('plain log line mentioning ***');
    expect(result.log).toContain('stderr mentions *** too');
    expect(result.log).toContain('::not-a-command::stays in the log');
    expect(result.log).toContain('::error::not a command while stopped');
    expect(result.log).not.toContain('s3cr3t-value');
    expect(result.stdout).toContain('s3cr3t-value');
  });

  test.each([
    ['::error::boom', { command: 'error', properties: {}, message: 'boom' }],
    ['  ::warning  title=t , line=2 ::m ', { command: 'warning', properties: { title: 't ', ' line': '2' }, message: 'm ' }],
    ['::error file=a,bad,=x,empty=,eq=a=b::m', { command: 'error', properties: { file: 'a', eq: 'a=b' }, message: 'm' }],
    ['::add-mask::a%0D%0Ab%25', { command: 'add-mask', properties: {}, message: 'a\r\nb%' }],
  ])('parses %j', (line, expected) => {
    expect(parseWorkflowCommand(line)).toEqual(expected);
  });

  test.each(['plain text', '::unknown::x', '::error no terminator', ':: error::x'])('%j is not a command', (line) => {
    expect(parseWorkflowCommand(line)).toBeUndefined();
  });
});

describe('exit code and post step', () => {
  test('a failing action reports its exit code and error annotation; post still runs (post-if: always())', async () => {
    const result = await run({ with: { mode: 'fail' } });
    expect(result.exitCode).toBe(3);
    expect(result.conclusion).toBe('failure');
    expect(result.commands).toContainEqual({
      command: 'error',
      properties: { file: 'package.json', line: '1' },
      message: 'the gate said no',
    });
    expect(result.post?.conclusion).toBe('success');
  });

  test('the post step gets saved state as STATE_*, the env and path of the main step', async () => {
    const result = await run({ state: { extra: 'from-test' } });
    expect(result.post?.commands).toContainEqual({
      command: 'notice',
      properties: {},
      message: 'post saw state please, extra from-test, FROM_MAIN=yes',
    });
    expect(result.post?.log).toMatch(/^post PATH \/opt\/other\/bin:\/opt\/tool\/bin:\/usr\/local\/sbin/m);
    expect(result.post?.summary).toBe('post summary\n');
    expect(result.env['FROM_POST']).toBe('1');
  });

  test('runPost: false skips the post step', async () => {
    const result = await run({ runPost: false });
    expect(result.post).toBeUndefined();
  });

  test('a step that outlives its timeout is killed and fails', async () => {
    const result = await run({ with: { mode: 'hang' }, timeoutMs: 1500, runPost: false });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.conclusion).toBe('failure');
  });
});

describe('node runtimes', () => {
  const node20Available = existsSync(NODE_20) && execFileSync(NODE_20, ['--version'], { encoding: 'utf8' }).startsWith('v20.');
  test.each([
    ['Node 24', NODE_24, 'v24.'],
    ['Node 20', NODE_20, 'v20.'],
  ])('the action runs under %s', async (_label, nodeBinary, prefix) => {
    if (prefix === 'v20.' && !node20Available) {
      if (process.env['CI'] !== undefined) throw new Error(`Node 20 is required in CI: set NODE20_BINARY or install it at ${NODE_20}`);
      console.warn(`skipping: no Node 20 at ${NODE_20} (set NODE20_BINARY)`);
      return;
    }
    const result = await run({ nodeBinary });
    expect(result.conclusion).toBe('success');
    expect(result.outputs['version']?.startsWith(prefix)).toBe(true);
  });
});

describe('metadata checks', () => {
  test('runs.using must be node20 or node24', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bad-action-'));
    try {
      await writeFile(path.join(dir, 'action.yml'), 'name: x\ndescription: y\nruns:\n  using: node16\n  main: index.js\n');
      await writeFile(path.join(dir, 'index.js'), '');
      await expect(runAction({ actionDir: dir })).rejects.toThrow("runs.using is 'node16', expected node20 or node24");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the entry point must exist', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bad-action-'));
    try {
      await writeFile(
        path.join(dir, 'action.yml'),
        'name: x\ndescription: y\nruns:\n  using: node24\n  main: ../../dist/missing/index.js\n',
      );
      await expect(runAction({ actionDir: dir })).rejects.toThrow('runs.main points at ../../dist/missing/index.js, which does not exist');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
