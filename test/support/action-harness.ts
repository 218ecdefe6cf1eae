/**
 * Runs a shipped JavaScript action (`dist/<action>/index.js`) the way the GitHub Actions runner does,
 * so tests exercise the real ncc bundle: inputs as `INPUT_*` variables, per-step file commands,
 * workflow commands on stdout, a clean job environment and an asynchronous child process.
 *
 * Behaviour follows actions/runner (src/Runner.Worker): ActionRunner (input merging and the
 * "Unexpected input(s)" warning), FileCommandManager (GITHUB_OUTPUT/ENV/PATH/STATE/STEP_SUMMARY
 * parsing), ActionCommandManager (`::command props::message` parsing and escaping) and
 * NodeScriptActionHandler (node spawned with the workspace as working directory).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** Node 24 from the `node` devDependency: what `runs.using: node24` gets on a hosted runner. */
export const NODE_24 = path.join(repoRoot, 'node_modules', '.bin', 'node');
/** The system Node 20 (or NODE20_BINARY), to prove the bundles still run where `node20` is the runtime. */
export const NODE_20 = process.env['NODE20_BINARY'] ?? '/usr/bin/node';

/** GitHub rejects a step summary above 1 MiB ("upload aborted, supports content up to a size of 1024k"). */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;

/** Loopback fakes the action should talk to instead of GitHub's services. */
export interface ServiceUrls {
  /** GITHUB_API_URL, e.g. `http://127.0.0.1:PORT/api/v3` (GHES-shaped). */
  apiUrl?: string;
  graphqlUrl?: string;
  /** ACTIONS_RESULTS_URL (artifact Twirp service). */
  resultsUrl?: string;
  runtimeUrl?: string;
  runtimeToken?: string;
  cacheUrl?: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL: must already contain `?`, as GitHub's does. */
  idTokenRequestUrl?: string;
  idTokenRequestToken?: string;
}

export interface RunActionOptions {
  /** Directory holding action.yml. */
  actionDir: string;
  /** The step's `with:` values, already evaluated (as the runner hands them to the action). */
  with?: Record<string, string>;
  /** Extra environment (the step's `env:`); applied last, so it can override the defaults. */
  env?: Record<string, string>;
  /** Node binary; defaults to {@link NODE_24}. */
  nodeBinary?: string;
  /** GITHUB_WORKSPACE and the working directory; a fresh empty directory by default. */
  workspace?: string;
  /** GITHUB_EVENT_NAME; default `push`. */
  eventName?: string;
  /** The event payload written to GITHUB_EVENT_PATH; default a realistic push payload. */
  eventPayload?: object;
  /** Saved state added to what the main step saves, passed to the post step as STATE_*. */
  state?: Record<string, string>;
  /** Per step; default 120 s. On expiry the step's process group is killed. */
  timeoutMs?: number;
  services?: ServiceUrls;
  /** What `${{ github.token }}` evaluates to; default: env GITHUB_TOKEN, else empty. */
  token?: string;
  /** GITHUB_REPOSITORY; default `octo-org/octo-repo`. */
  repository?: string;
  sha?: string;
  /** GITHUB_REF; default `refs/heads/main`. */
  ref?: string;
  /** Run the post step when action.yml declares one; default true. */
  runPost?: boolean;
  /** RUNNER_DEBUG=1, as when a run is re-run with debug logging. */
  debug?: boolean;
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

/** What one step (main or post) did. */
export interface StepRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** The step log as the runner shows it: command lines consumed, registered secrets as `***`. */
  log: string;
  outputs: Record<string, string>;
  /** Saved with GITHUB_STATE. */
  state: Record<string, string>;
  /** The summary as uploaded: masked, and empty when rejected for size. */
  summary: string;
  /** The GITHUB_STEP_SUMMARY file exactly as the action wrote it. */
  rawSummary: string;
  commands: WorkflowCommand[];
  /** Values registered with `::add-mask::`. */
  masks: string[];
  /** Runner-side warnings (undeclared inputs, unevaluated defaults, deprecated commands). */
  warnings: string[];
  /** Runner-side errors (malformed file commands, oversize summary, disabled commands). */
  errors: string[];
  /** failure when the process failed, timed out or a file command could not be processed. */
  conclusion: 'success' | 'failure';
}

export interface ActionRun extends StepRun {
  /** Environment after the action (job env plus GITHUB_ENV additions), as later steps see it. */
  env: Record<string, string>;
  /** GITHUB_PATH additions in effect for later steps, first entry searched first. */
  path: string[];
  /** The INPUT_* variables the main step received. */
  inputs: Record<string, string>;
  post?: StepRun;
  dirs: { root: string; workspace: string; runnerTemp: string; home: string; toolCache: string };
  /** Removes the harness's temporary directories (not a caller-supplied workspace). */
  cleanup(): Promise<void>;
}

interface ActionMetadata {
  inputs: Record<string, { default?: string }>;
  using: string;
  main: string;
  post?: string;
  postIf?: string;
  pre?: string;
}

/** Reads action.yml (or action.yaml) and checks it declares a Node runtime whose entry exists. */
export async function readActionMetadata(actionDir: string): Promise<ActionMetadata> {
  const file = ['action.yml', 'action.yaml'].map((n) => path.join(actionDir, n)).find((f) => existsSync(f));
  if (file === undefined) throw new Error(`no action.yml or action.yaml in ${actionDir}`);
  const doc = parseYaml(await readFile(file, 'utf8')) as Record<string, unknown> | null;
  const runs = doc?.['runs'] as Record<string, unknown> | undefined;
  if (runs === undefined || typeof runs !== 'object') throw new Error(`${file}: no runs section`);
  const using = String(runs['using']);
  if (using !== 'node20' && using !== 'node24') throw new Error(`${file}: runs.using is '${using}', expected node20 or node24`);
  const main = runs['main'];
  if (typeof main !== 'string' || main === '') throw new Error(`${file}: runs.main is missing`);
  for (const key of ['main', 'pre', 'post'] as const) {
    const entry = runs[key];
    if (typeof entry === 'string' && !existsSync(path.resolve(actionDir, entry))) {
      throw new Error(`${file}: runs.${key} points at ${entry}, which does not exist (run npm run bundle)`);
    }
  }
  if (runs['pre'] !== undefined) throw new Error(`${file}: runs.pre is not supported by this harness (none of our actions has one)`);
  const inputs: ActionMetadata['inputs'] = {};
  const declared = (doc?.['inputs'] ?? {}) as Record<string, Record<string, unknown> | null>;
  for (const [name, spec] of Object.entries(declared)) {
    const value = spec?.['default'];
    // YAML may type a default (`default: true`); the runner hands every input over as a string.
    inputs[name] = value === undefined || value === null ? {} : { default: typeof value === 'string' ? value : JSON.stringify(value) };
  }
  const metadata: ActionMetadata = { inputs, using, main };
  if (typeof runs['post'] === 'string') metadata.post = runs['post'];
  if (typeof runs['post-if'] === 'string') metadata.postIf = runs['post-if'];
  return metadata;
}

/** Runs the action's main step (and its post step, if any) and reports what the runner would see. */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const actionDir = path.resolve(options.actionDir);
  const metadata = await readActionMetadata(actionDir);
  const nodeBinary = options.nodeBinary ?? NODE_24;
  if (!existsSync(nodeBinary)) throw new Error(`node binary ${nodeBinary} not found`);

  const root = await mkdtemp(path.join(os.tmpdir(), 'action-harness-'));
  const dirs = {
    root,
    workspace: options.workspace !== undefined ? path.resolve(options.workspace) : path.join(root, 'workspace'),
    runnerTemp: path.join(root, 'temp'),
    home: path.join(root, 'home'),
    toolCache: path.join(root, 'tool-cache'),
  };
  for (const dir of [dirs.workspace, dirs.runnerTemp, dirs.home, dirs.toolCache]) await mkdir(dir, { recursive: true });

  const repository = options.repository ?? 'octo-org/octo-repo';
  const sha = options.sha ?? 'ffac537e6cbbf934b08745a378932722df287a53';
  const ref = options.ref ?? 'refs/heads/main';
  const eventName = options.eventName ?? 'push';
  const eventPath = path.join(root, 'event.json');
  await writeFile(eventPath, JSON.stringify(options.eventPayload ?? pushEventPayload({ repository, sha, ref }), null, 2));
  const token = options.token ?? options.env?.['GITHUB_TOKEN'] ?? '';

  const jobEnv = cleanJobEnvironment({ repository, sha, ref, eventName, eventPath, dirs, services: options.services ?? {} });
  if (options.debug === true) jobEnv['RUNNER_DEBUG'] = '1';
  Object.assign(jobEnv, options.env ?? {});

  // `${{ ... }}` in input defaults is evaluated by the runner against the github/runner contexts.
  const contexts: Record<string, string> = {
    'github.token': token,
    'github.repository': repository,
    'github.repository_owner': repository.split('/')[0] ?? '',
    'github.sha': sha,
    'github.ref': ref,
    'github.ref_name': jobEnv['GITHUB_REF_NAME'] ?? '',
    'github.workspace': dirs.workspace,
    'github.run_id': jobEnv['GITHUB_RUN_ID'] ?? '',
    'github.run_attempt': jobEnv['GITHUB_RUN_ATTEMPT'] ?? '',
    'github.server_url': jobEnv['GITHUB_SERVER_URL'] ?? '',
    'github.api_url': jobEnv['GITHUB_API_URL'] ?? '',
    'github.event_name': eventName,
    'runner.temp': dirs.runnerTemp,
    'runner.tool_cache': dirs.toolCache,
    'runner.os': 'Linux',
    'runner.arch': 'X64',
  };

  const warnings: string[] = [];
  const given = options.with ?? {};
  const unexpected = Object.keys(given).filter((name) => !(name in metadata.inputs));
  if (unexpected.length > 0) {
    // Wording of the runner's ActionRunner warning; the runner still passes them on.
    warnings.push(
      `Unexpected input(s) ${unexpected.map((n) => `'${n}'`).join(', ')}, valid inputs are [${Object.keys(metadata.inputs)
        .map((n) => `'${n}'`)
        .join(', ')}]`,
    );
  }
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(metadata.inputs)) {
    if (name in given || spec.default === undefined) continue;
    inputs[inputVariable(name)] = evaluateDefault(name, spec.default, contexts, warnings);
  }
  for (const [name, value] of Object.entries(given)) inputs[inputVariable(name)] = value;

  const timeoutMs = options.timeoutMs ?? 120_000;
  const main = await runStep({
    nodeBinary,
    entry: path.resolve(actionDir, metadata.main),
    env: { ...jobEnv, ...inputs, GITHUB_ACTION_PATH: actionDir },
    prependPath: [],
    cwd: dirs.workspace,
    runnerTemp: dirs.runnerTemp,
    timeoutMs,
  });
  main.warnings.unshift(...warnings);

  let post: StepRun | undefined;
  const env = { ...jobEnv, ...main.envChanges };
  let prependPath = main.pathChanges;
  if (metadata.post !== undefined && options.runPost !== false && postShouldRun(metadata.postIf, main.conclusion)) {
    const state: Record<string, string> = { ...main.state, ...(options.state ?? {}) };
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    const postRun = await runStep({
      nodeBinary,
      entry: path.resolve(actionDir, metadata.post),
      // The runner gives the post step the same inputs as the main step.
      env: { ...env, ...inputs, ...stateEnv, GITHUB_ACTION_PATH: actionDir },
      prependPath,
      cwd: dirs.workspace,
      runnerTemp: dirs.runnerTemp,
      timeoutMs,
    });
    Object.assign(env, postRun.envChanges);
    prependPath = mergePrependPath(prependPath, postRun.pathChanges);
    post = stripChanges(postRun);
  }

  const result: ActionRun = {
    ...stripChanges(main),
    env,
    path: [...prependPath].reverse(),
    inputs,
    dirs,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  if (post !== undefined) result.post = post;
  return result;
}

/** `INPUT_<NAME>`: upper case, spaces to underscores, hyphens kept (so a shell cannot set it). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** A push webhook payload shaped like GitHub's (docs: webhook-events-and-payloads#push). */
export function pushEventPayload(options: { repository: string; sha: string; ref: string }): object {
  const [owner = 'octo-org', name = 'octo-repo'] = options.repository.split('/');
  const server = 'https://github.com';
  const api = 'https://api.github.com';
  const author = { name: 'Mona Lisa', email: 'mona@example.com', username: 'monalisa' };
  const user = { login: 'monalisa', id: 1, node_id: 'MDQ6VXNlcjE=', type: 'User', site_admin: false, html_url: `${server}/monalisa` };
  return {
    ref: options.ref,
    before: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    after: options.sha,
    base_ref: null,
    created: false,
    deleted: false,
    forced: false,
    compare: `${server}/${options.repository}/compare/1a2b3c4d5e6f...${options.sha.slice(0, 12)}`,
    commits: [
      {
        id: options.sha,
        tree_id: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        distinct: true,
        message: 'Release packaging',
        timestamp: '2025-01-01T00:00:00Z',
        url: `${server}/${options.repository}/commit/${options.sha}`,
        author,
        committer: author,
        added: [],
        removed: [],
        modified: ['README.md'],
      },
    ],
    head_commit: {
      id: options.sha,
      tree_id: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
      distinct: true,
      message: 'Release packaging',
      timestamp: '2025-01-01T00:00:00Z',
      url: `${server}/${options.repository}/commit/${options.sha}`,
      author,
      committer: author,
      added: [],
      removed: [],
      modified: ['README.md'],
    },
    pusher: { name: author.username, email: author.email },
    repository: {
      id: 123456789,
      node_id: 'R_kgDOHxyz12',
      name,
      full_name: options.repository,
      private: false,
      owner: { ...user, login: owner, name: owner, html_url: `${server}/${owner}`, type: 'Organization' },
      html_url: `${server}/${options.repository}`,
      url: `${api}/repos/${options.repository}`,
      clone_url: `${server}/${options.repository}.git`,
      default_branch: 'main',
      master_branch: 'main',
      visibility: 'public',
      fork: false,
      archived: false,
      disabled: false,
      created_at: 1700000000,
      pushed_at: 1735689600,
    },
    sender: user,
  };
}

function cleanJobEnvironment(o: {
  repository: string;
  sha: string;
  ref: string;
  eventName: string;
  eventPath: string;
  dirs: ActionRun['dirs'];
  services: ServiceUrls;
}): Record<string, string> {
  // Nothing is inherited from the test process (no NODE_OPTIONS from jest, no developer tokens).
  const refName = o.ref.replace(/^refs\/(heads|tags)\//, '');
  const env: Record<string, string> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: o.dirs.workspace,
    GITHUB_REPOSITORY: o.repository,
    GITHUB_REPOSITORY_OWNER: o.repository.split('/')[0] ?? '',
    GITHUB_REPOSITORY_ID: '123456789',
    GITHUB_SHA: o.sha,
    GITHUB_REF: o.ref,
    GITHUB_REF_NAME: refName,
    GITHUB_REF_TYPE: o.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_REF_PROTECTED: 'false',
    GITHUB_HEAD_REF: '',
    GITHUB_BASE_REF: '',
    GITHUB_RUN_ID: '9876543210',
    GITHUB_RUN_NUMBER: '42',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'package',
    GITHUB_ACTION: 'factory',
    GITHUB_ACTOR: 'monalisa',
    GITHUB_ACTOR_ID: '1',
    GITHUB_TRIGGERING_ACTOR: 'monalisa',
    GITHUB_WORKFLOW: 'release',
    GITHUB_WORKFLOW_REF: `${o.repository}/.github/workflows/release.yml@${o.ref}`,
    GITHUB_WORKFLOW_SHA: o.sha,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: o.services.apiUrl ?? 'https://api.github.com',
    GITHUB_GRAPHQL_URL: o.services.graphqlUrl ?? 'https://api.github.com/graphql',
    GITHUB_EVENT_NAME: o.eventName,
    GITHUB_EVENT_PATH: o.eventPath,
    GITHUB_RETENTION_DAYS: '90',
    RUNNER_TEMP: o.dirs.runnerTemp,
    RUNNER_TOOL_CACHE: o.dirs.toolCache,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 1',
    RUNNER_ENVIRONMENT: 'github-hosted',
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: o.dirs.home,
    LANG: 'C.UTF-8',
  };
  const optional: [string, string | undefined][] = [
    ['ACTIONS_RESULTS_URL', o.services.resultsUrl],
    ['ACTIONS_RUNTIME_URL', o.services.runtimeUrl],
    ['ACTIONS_RUNTIME_TOKEN', o.services.runtimeToken],
    ['ACTIONS_CACHE_URL', o.services.cacheUrl],
    ['ACTIONS_ID_TOKEN_REQUEST_URL', o.services.idTokenRequestUrl],
    ['ACTIONS_ID_TOKEN_REQUEST_TOKEN', o.services.idTokenRequestToken],
  ];
  for (const [name, value] of optional) if (value !== undefined) env[name] = value;
  return env;
}

/** Evaluates the simple `${{ context.path }}` forms our defaults use; anything else is left and warned about. */
function evaluateDefault(input: string, value: string, contexts: Record<string, string>, warnings: string[]): string {
  return value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (whole, expression: string) => {
    const known = contexts[expression];
    if (known !== undefined) return known;
    warnings.push(`input '${input}': default expression '${whole}' is not evaluated by this harness; passed verbatim`);
    return whole;
  });
}

/** `post-if` defaults to `always()`; only the status functions are evaluated here. */
function postShouldRun(postIf: string | undefined, mainConclusion: StepRun['conclusion']): boolean {
  const condition = (postIf ?? 'always()').replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
  switch (condition) {
    case 'always()':
    case '!cancelled()':
      return true;
    case 'success()':
      return mainConclusion === 'success';
    case 'failure()':
      return mainConclusion === 'failure';
    case 'cancelled()':
      return false;
    default:
      throw new Error(`post-if '${postIf ?? ''}' is not supported by this harness`);
  }
}

interface StepSpec {
  nodeBinary: string;
  entry: string;
  env: Record<string, string>;
  prependPath: string[];
  cwd: string;
  runnerTemp: string;
  timeoutMs: number;
}

interface StepOutcome extends StepRun {
  envChanges: Record<string, string>;
  pathChanges: string[];
}

const FILE_COMMANDS = {
  GITHUB_OUTPUT: 'set_output_',
  GITHUB_ENV: 'set_env_',
  GITHUB_PATH: 'add_path_',
  GITHUB_STATE: 'save_state_',
  GITHUB_STEP_SUMMARY: 'step_summary_',
} as const;

async function runStep(spec: StepSpec): Promise<StepOutcome> {
  // The runner makes fresh, empty files per step under RUNNER_TEMP/_runner_file_commands.
  const commandDir = path.join(spec.runnerTemp, '_runner_file_commands');
  await mkdir(commandDir, { recursive: true });
  const suffix = randomUUID();
  const files = Object.fromEntries(
    Object.entries(FILE_COMMANDS).map(([variable, prefix]) => [variable, path.join(commandDir, prefix + suffix)]),
  ) as Record<keyof typeof FILE_COMMANDS, string>;
  for (const file of Object.values(files)) await writeFile(file, '');

  const env: Record<string, string> = { ...spec.env, ...files };
  if (spec.prependPath.length > 0) env['PATH'] = [...[...spec.prependPath].reverse(), env['PATH'] ?? ''].join(path.delimiter);

  const processed = new CommandProcessor();
  const { exitCode, signal, timedOut, stdout, stderr } = await spawnNode(spec, env, processed);

  const outcome: StepOutcome = {
    exitCode,
    signal,
    timedOut,
    stdout,
    stderr,
    log: processed.log.join('\n'),
    outputs: {},
    state: {},
    summary: '',
    rawSummary: '',
    commands: processed.commands,
    masks: processed.masks,
    warnings: processed.warnings,
    errors: processed.errors,
    conclusion: exitCode === 0 && !timedOut ? 'success' : 'failure',
    envChanges: {},
    pathChanges: [],
  };
  const failFileCommand = (name: string, error: unknown): void => {
    outcome.errors.push(`Unable to process file command '${name}' successfully.`, error instanceof Error ? error.message : String(error));
    outcome.conclusion = 'failure';
  };
  try {
    outcome.outputs = Object.fromEntries(parseKeyValueFile(await readFile(files.GITHUB_OUTPUT, 'utf8')));
  } catch (error) {
    failFileCommand('output', error);
  }
  try {
    outcome.state = Object.fromEntries(parseKeyValueFile(await readFile(files.GITHUB_STATE, 'utf8')));
  } catch (error) {
    failFileCommand('state', error);
  }
  try {
    for (const [name, value] of parseKeyValueFile(await readFile(files.GITHUB_ENV, 'utf8'))) {
      // A security block in the runner: NODE_OPTIONS could hijack later node actions.
      if (name.toUpperCase() === 'NODE_OPTIONS') {
        outcome.errors.push(`Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.`);
        continue;
      }
      outcome.envChanges[name] = value;
    }
  } catch (error) {
    failFileCommand('env', error);
  }
  // AddPathFileCommand: each non-empty line, a repeated entry moves to the front.
  const added = (await readFile(files.GITHUB_PATH, 'utf8')).split('\n').filter((line) => line !== '');
  outcome.pathChanges = mergePrependPath(spec.prependPath, added);

  outcome.rawSummary = await readFile(files.GITHUB_STEP_SUMMARY, 'utf8');
  const size = (await stat(files.GITHUB_STEP_SUMMARY)).size;
  if (size > STEP_SUMMARY_LIMIT) {
    // The runner drops the whole summary and annotates the step; the step itself still succeeds.
    outcome.errors.push(
      `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of ${STEP_SUMMARY_LIMIT / 1024}k, got ${Math.floor(size / 1024)}k.`,
    );
  } else {
    outcome.summary = processed.mask(outcome.rawSummary);
  }
  return outcome;
}

function mergePrependPath(existing: string[], added: string[]): string[] {
  const result = [...existing];
  for (const entry of added) {
    const at = result.indexOf(entry);
    if (at >= 0) result.splice(at, 1);
    result.push(entry);
  }
  return result;
}

function stripChanges(step: StepOutcome): StepRun {
  const { envChanges: _env, pathChanges: _path, ...run } = step;
  return run;
}

function spawnNode(
  spec: StepSpec,
  env: Record<string, string>,
  processor: CommandProcessor,
): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: fakes served from the test process must keep answering.
    const child = spawn(spec.nodeBinary, [spec.entry], {
      cwd: spec.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdoutLines = new LineSplitter((line) => processor.stdoutLine(line));
    const stderrLines = new LineSplitter((line) => processor.stderrLine(line));
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      stdoutLines.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      stderrLines.push(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // Kill the whole group: the action may have started tools of its own.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, spec.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      stdoutLines.end();
      stderrLines.end();
      resolve({ exitCode, signal, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

class LineSplitter {
  private pending = '';
  private readonly decoder = new TextDecoder('utf-8');
  private readonly onLine: (line: string) => void;
  // A plain field, not a parameter property: the file stays loadable by Node's type stripping.
  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }
  push(chunk: Buffer): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = this.pending.indexOf('\n')) >= 0) {
      this.onLine(this.pending.slice(0, at).replace(/\r$/, ''));
      this.pending = this.pending.slice(at + 1);
    }
  }
  end(): void {
    this.pending += this.decoder.decode();
    if (this.pending !== '') this.onLine(this.pending.replace(/\r$/, ''));
    this.pending = '';
  }
}

/** Commands the runner registers (ActionCommandManager extensions); other `::x::` lines are plain log. */
const REGISTERED_COMMANDS = new Set([
  'add-mask',
  'add-matcher',
  'remove-matcher',
  'add-path',
  'set-env',
  'set-output',
  'save-state',
  'debug',
  'notice',
  'warning',
  'error',
  'group',
  'endgroup',
  'echo',
  'stop-commands',
]);

/** Parses stdout workflow commands in arrival order and builds the masked step log. */
class CommandProcessor {
  readonly commands: WorkflowCommand[] = [];
  readonly masks: string[] = [];
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  readonly log: string[] = [];
  private stopToken: string | undefined;

  stdoutLine(line: string): void {
    if (this.stopToken !== undefined) {
      // After ::stop-commands::TOKEN nothing is a command until a line `::TOKEN::`.
      if (line.trim() === `::${this.stopToken}::`) this.stopToken = undefined;
      else this.log.push(this.mask(line));
      return;
    }
    const command = parseWorkflowCommand(line);
    if (command === undefined) {
      this.log.push(this.mask(line));
      return;
    }
    this.commands.push(command);
    switch (command.command) {
      case 'add-mask':
        if (command.message.trim() === '') this.warnings.push(`Can't add secret mask for empty string in ##[add-mask] command.`);
        else this.masks.push(command.message);
        break;
      case 'stop-commands':
        this.stopToken = command.message;
        break;
      case 'set-output':
      case 'save-state':
        // Deprecated since 2022-10 in favour of GITHUB_OUTPUT / GITHUB_STATE; ignored here so a bundle
        // that still relies on them fails its tests.
        this.warnings.push(`The \`${command.command}\` command is deprecated and ignored by this harness: use environment files.`);
        break;
      case 'add-path':
      case 'set-env':
        this.errors.push(`The \`${command.command}\` command is disabled. Please upgrade to using Environment Files.`);
        break;
      default:
        break;
    }
  }

  stderrLine(line: string): void {
    this.log.push(this.mask(line));
  }

  /** Replaces every registered secret (longest first, so overlapping masks do not leak) with `***`. */
  mask(text: string): string {
    let result = text;
    for (const secret of [...this.masks].sort((a, b) => b.length - a.length)) result = result.split(secret).join('***');
    return result;
  }
}

/** Parses one line as `::command key=value,key=value::message`, as ActionCommand.TryParseV2 does. */
export function parseWorkflowCommand(line: string): WorkflowCommand | undefined {
  // Leading whitespace only: trailing spaces belong to the message.
  const text = line.trimStart();
  if (!text.startsWith('::')) return undefined;
  const end = text.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = text.slice(2, end);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  if (!REGISTERED_COMMANDS.has(command)) return undefined;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    // Split on ',' then on the first '='; a pair missing its key or value is dropped; keys are not trimmed.
    for (const pair of info
      .slice(space + 1)
      .trim()
      .split(',')) {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      if (key === '' || value === '') continue;
      properties[key] = unescapeProperty(value);
    }
  }
  return { command, properties, message: unescapeData(text.slice(end + 2)) };
}

// @actions/core escapes % first when writing; the runner undoes the escapes in order, %25 last.
function unescapeData(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
}

/**
 * Parses a GITHUB_OUTPUT/GITHUB_ENV/GITHUB_STATE file like the runner on Linux: `NAME=VALUE` lines and
 * `NAME<<DELIMITER` heredocs (value up to a line equal to the delimiter), blank lines skipped,
 * anything else an error that fails the step. Only LF ends a line on Linux runners.
 */
export function parseKeyValueFile(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let index = 0;
  const readLine = (): { line: string; newline: boolean } | undefined => {
    if (index >= text.length) return undefined;
    const lf = text.indexOf('\n', index);
    if (lf < 0) {
      const line = text.slice(index);
      index = text.length;
      return { line, newline: false };
    }
    const line = text.slice(index, lf);
    index = lf + 1;
    return { line, newline: true };
  };
  for (let next = readLine(); next !== undefined; next = readLine()) {
    const line = next.line;
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      const name = line.slice(0, equals);
      if (name === '') throw new Error(`Invalid format '${line}'. Name must not be empty`);
      pairs.push([name, line.slice(equals + 1)]);
    } else if (heredoc >= 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') {
        throw new Error(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
      }
      const start = index;
      let end = index;
      for (;;) {
        const valueLine = readLine();
        if (valueLine === undefined) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
        if (valueLine.line === delimiter) break;
        if (!valueLine.newline) throw new Error('Invalid value. EOF marker missing new line.');
        end = index - 1;
      }
      pairs.push([name, end > start ? text.slice(start, end) : '']);
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  return pairs;
}
