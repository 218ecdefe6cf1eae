import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { EventLog, ExecRunner, FactoryError, MemoryLogger } from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';

let dir: string;
let logger: MemoryLogger;
let events: EventLog;
let runner: ExecRunner;
beforeEach(async () => {
  dir = await tempDir('factory-exec-');
  logger = new MemoryLogger();
  events = new EventLog(path.join(dir, 'events.jsonl'), 'run-exec');
  runner = new ExecRunner(logger, events, 'scan');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const eventText = (): Promise<string> => readFile(path.join(dir, 'events.jsonl'), 'utf8');
const NODE_VERSION = process.versions.node;

/** Whether a process still runs; a killed child not yet reaped (a zombie, state Z) does not. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (process.platform === 'linux') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function failure(promise: Promise<unknown>): Promise<FactoryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FactoryError);
  return error as FactoryError;
}

describe('ExecRunner.run', () => {
  it('passes argument arrays verbatim, never through a shell', async () => {
    const args = ['with space', '"double"', "it's", '$HOME', '*', '; rm -rf /', '', 'tab\there', 'ünïcödé'];
    const result = await runner.run('node', ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...args]);
    expect(JSON.parse(result.stdout)).toEqual(args);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    const echoed = await runner.run('/bin/echo', ['a  b', '$PATH']);
    expect(echoed.stdout).toBe('a  b $PATH\n');
  });

  it('feeds standard input, replaces the environment but keeps PATH, runs in cwd', async () => {
    const script =
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.stringify([s,process.env.ONLY,process.env.HOME??null,!!process.env.PATH,process.cwd()])))';
    const result = await runner.run('node', ['-e', script], { input: 'from stdin', env: { ONLY: 'this' }, cwd: dir });
    expect(JSON.parse(result.stdout)).toEqual(['from stdin', 'this', null, true, dir]);
  });

  it('keeps binary stdout as bytes', async () => {
    const result = await runner.run('node', ['-e', 'process.stdout.write(Buffer.from([0,255,1,254]))'], { binaryStdout: true });
    expect([...result.stdoutBytes]).toEqual([0, 255, 1, 254]);
    expect(result.stdout).toBe('');
    expect(await eventText()).toContain('<4 bytes>');
  });

  it('fails with TOOL_MISSING naming the tool and the package to install', async () => {
    const error = await failure(runner.run('factory-no-such-tool', ['--help']));
    expect(error.code).toBe('TOOL_MISSING');
    expect(error.subject).toBe('factory-no-such-tool');
    expect(error.message).toContain("'factory-no-such-tool'");
    const hinted = await failure(runner.require('factory-no-such-tool', 'osslsigncode'));
    expect(hinted.hint).toBe('install it (Debian/Ubuntu: apt-get install osslsigncode)');
    expect(await runner.which('/definitely/not/here')).toBeUndefined();
    expect(await runner.which(process.execPath)).toBe(process.execPath);
  });

  it('fails with TOOL_FAILED and the stderr tail on a non-zero exit, unless the code is accepted', async () => {
    const script = 'process.stderr.write("x".repeat(5000) + "\\nthe real reason\\n"); process.exit(3)';
    const error = await failure(runner.run('node', ['-e', script]));
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.subject).toBe('node');
    expect(error.message).toMatch(/^node exited with 3: …x+\nthe real reason$/);
    expect(error.message.length).toBeLessThan(1300);
    const accepted = await runner.run('node', ['-e', 'process.stdout.write("found");process.exit(1)'], { okExitCodes: [0, 1] });
    expect(accepted).toMatchObject({ exitCode: 1, stdout: 'found' });
    const text = await eventText();
    expect(text).toContain('"event":"exec.end"');
    expect(text).toContain('"exitCode":3');
  });

  it('kills a tool that outlives its timeout, with its children', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    const script = `const c=require("child_process").spawn("sleep",["30"],{stdio:"ignore"});require("fs").writeFileSync(${JSON.stringify(pidFile)},String(c.pid));setTimeout(()=>{},60000)`;
    const started = Date.now();
    const error = await failure(runner.run('node', ['-e', script], { timeoutMs: 1000 }));
    expect(error.code).toBe('TOOL_TIMEOUT');
    expect(error.message).toContain('did not finish within 1 s');
    expect(Date.now() - started).toBeLessThan(20_000);
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await isRunning(grandchild)).toBe(false); // the whole process group was killed
  });

  it('masks secrets in the event log, the logger’s command line and error messages', async () => {
    const secret = 'hunter2-super-secret';
    const extra = 'one-off-token-value';
    runner.mask(secret);
    runner.mask('');
    const script =
      'console.log("out " + process.argv[1]); console.error("token=" + process.argv[1] + " " + process.argv[2]); process.exit(4)';
    const error = await failure(runner.run('node', ['-e', script, secret, extra], { secrets: [extra] }));
    expect(error.message).toContain('token=*** ***');
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain(extra);
    const text = await eventText();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(extra);
    expect(text).toContain('out ***');
    for (const line of text.trimEnd().split('\n')) expect(JSON.parse(line)).toMatchObject({ correlationId: 'run-exec' });
    expect(logger.text()).not.toContain(extra);
    expect(logger.secrets.has(secret)).toBe(true);
  });
});

describe('tool versions', () => {
  it('probes each tool once and records it for the evidence pack, sorted', async () => {
    expect(runner.toolsUsed()).toEqual([]);
    await runner.run('node', ['-e', '0']);
    await runner.run('node', ['-e', '0']);
    await runner.run('/bin/echo', ['x'], { skipProbe: true });
    runner.recordTool({ name: 'cyclonedx-library', version: '10.3.0' });
    expect(runner.toolsUsed()).toEqual([
      { name: 'cyclonedx-library', version: '10.3.0' },
      { name: 'node', version: NODE_VERSION, path: expect.stringMatching(/node$/) as unknown as string },
    ]);
    expect(runner.toolsUsed()[1]?.path).toBe(await runner.which('node'));
  });

  it('shares probes and secrets with per-stage runners, each with its own list of tools', async () => {
    await runner.probe('node');
    const stage = runner.forStage('sign');
    expect(stage.toolsUsed()).toEqual([]);
    expect((await stage.probe('node')).version).toBe(NODE_VERSION);
    expect(stage.toolsUsed().map((t) => t.name)).toEqual(['node']);
    // A secret masked through the stage runner is masked for the parent, and the other way round.
    stage.mask('stage-only-secret');
    const error = await failure(runner.run('node', ['-e', 'console.error(process.argv[1]);process.exit(1)', 'stage-only-secret']));
    expect(error.message).not.toContain('stage-only-secret');
    const text = await eventText();
    expect(text).not.toContain('stage-only-secret');
  });

  it('records "unknown" when a tool prints no version, and uses per-tool version arguments', async () => {
    expect((await runner.probe('node', ['-e', '0'])).version).toBe('unknown');
    const other = new ExecRunner(logger);
    const probed = await other.probe('node', ['-p', '"tool v9.8.7-rc.1+build and more"']);
    expect(probed.version).toBe('9.8.7-rc.1+build');
  });
});
