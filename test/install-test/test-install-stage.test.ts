import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError, runStage, type StageContext, type StageResult } from '@packaging-factory/core';
import { OverlaySandbox, testInstallStage, type RuleOutcome, type StepRecord } from '@packaging-factory/install-test';
import { makeTestSession, type TestSession } from '../support/context.ts';
import { filesUnder } from './files-under.ts';
import { buildDeb, sandboxUnavailableReason } from './build-deb.ts';

const unavailable = sandboxUnavailableReason();
if (unavailable !== undefined && process.env['CI'] !== undefined && process.env['CI'] !== '') {
  throw new Error(`install-test sandbox tests need root, unshare and overlayfs (CI is set): ${unavailable}`);
}
if (unavailable !== undefined) console.warn(`skipping install-test sandbox tests: ${unavailable}`);
const sandboxTest = unavailable === undefined ? test : test.skip;

const GOOD = 'factory-it-good';
const STATUS_FILE = '/var/lib/dpkg/status';

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function knownToHostDpkg(name: string): boolean {
  return spawnSync('dpkg-query', ['-W', name], { stdio: 'ignore' }).status === 0;
}

let session: TestSession;
let debs: Record<'good' | 'failingPostinst' | 'unmetDepends' | 'residue' | 'snoop', string>;
/** Secrets planted on the host, each a 0600 file: one under the session dir (so under /tmp and the workspace), one under /root. */
const SECRET_IN_TEMP = `factory-secret-temp-${randomBytes(12).toString('hex')}`;
const SECRET_IN_ROOT = `factory-secret-root-${randomBytes(12).toString('hex')}`;
const ROOT_SECRET_FILE = `/root/factory-it-secret-${randomBytes(6).toString('hex')}.pem`;
let tempSecretFile: string;
let hostStatusBefore: string;
let hostShellsBefore: string;
let hostMountsBefore: string;

beforeAll(async () => {
  session = await makeTestSession();
  if (unavailable !== undefined) return;
  const dir = session.dir;
  tempSecretFile = path.join(dir, 'hostsecret.pem');
  await writeFile(tempSecretFile, `${SECRET_IN_TEMP}\n`, { mode: 0o600 });
  await chmod(tempSecretFile, 0o600);
  await writeFile(ROOT_SECRET_FILE, `${SECRET_IN_ROOT}\n`, { mode: 0o600 });
  await chmod(ROOT_SECRET_FILE, 0o600);
  debs = {
    // Depends on packages the host has: the sandbox is a copy of the host, so they are satisfied.
    good: await buildDeb(dir, {
      name: GOOD,
      version: '1.0-1',
      depends: 'coreutils, dpkg',
      files: {
        '/usr/bin/factory-it-good': {
          content: '#!/bin/sh\nif [ "${1:-}" = --fail ]; then echo "failing on purpose" >&2; exit 3; fi\necho "factory-it-good 1.0-1"\n',
          mode: 0o755,
        },
        '/usr/share/doc/factory-it-good/README': { content: 'install-test fixture\n' },
        '/etc/factory-it-good.conf': { content: 'greeting=hello\n' },
      },
      conffiles: ['/etc/factory-it-good.conf'],
      // State made by a maintainer script and cleaned on purge, as Debian policy 6.8 asks.
      scripts: {
        postinst: '#!/bin/sh\nset -e\nmkdir -p /var/lib/factory-it-good\necho configured > /var/lib/factory-it-good/state\n',
        postrm: '#!/bin/sh\nset -e\nif [ "$1" = purge ]; then rm -rf /var/lib/factory-it-good; fi\n',
      },
    }),
    failingPostinst: await buildDeb(dir, {
      name: 'factory-it-failing-postinst',
      version: '2.0-1',
      files: { '/usr/share/factory-it-failing-postinst/data': { content: 'x\n' } },
      scripts: { postinst: '#!/bin/sh\necho "postinst refuses to configure" >&2\nexit 1\n' },
    }),
    unmetDepends: await buildDeb(dir, {
      name: 'factory-it-unmet',
      version: '1.0',
      depends: 'factory-it-does-not-exist (>= 1.0)',
      files: { '/usr/share/factory-it-unmet/data': { content: 'x\n' } },
    }),
    // Leaves state in /var/lib and /etc and edits a host file, and has no postrm to undo it.
    residue: await buildDeb(dir, {
      name: 'factory-it-residue',
      version: '0.1-1',
      files: { '/usr/bin/factory-it-residue': { content: '#!/bin/sh\necho residue\n', mode: 0o755 } },
      scripts: {
        postinst:
          '#!/bin/sh\nset -e\nmkdir -p /var/lib/factory-it-residue /etc/factory-it-residue.d\n' +
          'echo state > /var/lib/factory-it-residue/state\necho x > /etc/factory-it-residue.d/extra.conf\n' +
          'echo /usr/bin/factory-it-residue >> /etc/shells\n' +
          // Scratch places: empty tmpfs in the sandbox, so never residue.
          'echo scratch > /tmp/factory-it-scratch\nmkdir -p /root/.factory-it-residue /run/factory-it-residue\n',
      },
    }),
    // A hostile postinst: tries to read both secrets, to undo the hiding first, lists what it can
    // see, prints the password fields of /etc/shadow, and fails so that its tail reaches the record.
    snoop: await buildDeb(dir, {
      name: 'factory-it-snoop',
      version: '1.0',
      files: { '/usr/share/factory-it-snoop/data': { content: 'x\n' } },
      scripts: {
        postinst:
          '#!/bin/sh\n' +
          `for f in '${tempSecretFile}' '${ROOT_SECRET_FILE}'; do cat "$f" 2>&1; done\n` +
          'umount /tmp 2>&1; umount -l /root 2>&1; echo "umount exit $?"\n' +
          `ls -la /tmp /root '${dir}' 2>&1\n` +
          "cut -d: -f2 /etc/shadow | sort -u | sed 's/^/pwfield=/'\n" +
          `for f in '${tempSecretFile}' '${ROOT_SECRET_FILE}'; do cat "$f" 2>&1; done\n` +
          'exit 1\n',
      },
    }),
  };
  hostStatusBefore = sha256(STATUS_FILE);
  hostShellsBefore = sha256('/etc/shells');
  hostMountsBefore = mountPoints();
});

afterAll(async () => {
  await rm(ROOT_SECRET_FILE, { force: true });
  await session?.cleanup();
});

/** The host's mount points (the sandbox's mounts live in their own namespace and must never show here). */
function mountPoints(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .sort()
    .join('\n');
}

/** The host must look exactly as before every test: same dpkg database and mounts, no package files. */
function expectHostUntouched(): void {
  expect(mountPoints()).toBe(hostMountsBefore);
  expect(sha256(STATUS_FILE)).toBe(hostStatusBefore);
  expect(sha256('/etc/shells')).toBe(hostShellsBefore);
  for (const name of [GOOD, 'factory-it-failing-postinst', 'factory-it-unmet', 'factory-it-residue', 'factory-it-snoop']) {
    expect(knownToHostDpkg(name)).toBe(false);
  }
  for (const file of [
    '/usr/bin/factory-it-good',
    '/etc/factory-it-good.conf',
    '/var/lib/factory-it-good',
    '/usr/share/factory-it-failing-postinst',
    '/usr/share/factory-it-unmet',
    '/usr/bin/factory-it-residue',
    '/var/lib/factory-it-residue',
    '/etc/factory-it-residue.d',
  ]) {
    expect(existsSync(file)).toBe(false);
  }
}

async function runTestInstall(raw: Record<string, string>): Promise<{ result: StageResult; tempDir: string; ctx: StageContext }> {
  const ctx = await session.contextFor('test-install');
  const options = testInstallStage.parse(
    { 'output-dir': path.join(session.dir, 'out'), ...raw },
    { workDir: session.dir, env: process.env },
  );
  const result = await testInstallStage.run(options, ctx);
  return { result, tempDir: ctx.tempDir, ctx };
}

function rules(result: StageResult): RuleOutcome[] {
  return (result.details?.['rules'] as RuleOutcome[] | undefined) ?? [];
}

function steps(result: StageResult): StepRecord[] {
  return (result.details?.['steps'] as StepRecord[] | undefined) ?? [];
}

function errors(result: StageResult): [string, string | undefined][] {
  return (result.errors ?? []).map((e) => [e.code, e.subject]);
}

function reportTimings(label: string, outcome: StageResult): void {
  const shown = steps(outcome)
    .map((s) => `${s.step}=${s.durationMs}ms`)
    .join(' ');
  process.stdout.write(`[install-test timings] ${label}: ${shown}\n`);
}

describe('test-install stage in the overlay sandbox', () => {
  sandboxTest('a good package installs, passes every rule, purges cleanly and never touches the host', async () => {
    const { result, tempDir, ctx } = await runTestInstall({
      package: debs.good,
      command: '["factory-it-good","--version"]',
      'expect-output': '^factory-it-good 1\\.0-1$',
    });
    reportTimings('good', result);
    expect(result.errors).toBeUndefined();
    expect(result.status).toBe('passed');
    expect(result.decision?.result).toBe('pass');
    expect(result.outputValues['result']).toBe('passed');
    expect(rules(result).map((r) => [r.rule, r.passed])).toEqual([
      ['name', true],
      ['installed', true],
      ['version', true],
      ['files', true],
      ['command', true],
      ['output', true],
    ]);
    // The default expected files: every regular file the package ships, conffile included.
    expect(result.details?.['checkedFileCount']).toBe(3);
    expect(result.details?.['residue']).toEqual([]);
    expect(steps(result).map((s) => s.step)).toEqual([
      'query-before',
      'install',
      'query',
      'list-files',
      'stat-files',
      'command',
      'purge',
      'query-after-purge',
      'stat-after-purge',
    ]);
    // The record holds the digest of the command's output, not the output: it passed, so no tail either.
    const command = steps(result).find((s) => s.step === 'command');
    expect(command?.stdoutSha256).toBe(createHash('sha256').update('factory-it-good 1.0-1\n').digest('hex'));
    expect(command?.tail).toBeUndefined();
    expect(steps(result).every((s) => s.tail === undefined)).toBe(true);

    const logPath = result.outputValues['log'] ?? '';
    expect(path.basename(logPath)).toBe(`${GOOD}.install-log.txt`);
    const log = await readFile(logPath, 'utf8');
    expect(log).toContain('== install: exit 0');
    expect(log).toContain(`Setting up ${GOOD} (1.0-1)`);
    expect(log).toContain(`Purging configuration files for ${GOOD} (1.0-1)`);
    expect(result.outputs.map((o) => [o.name, o.role])).toEqual([[`${GOOD}.install-log.txt`, 'log']]);
    expect(result.inputs[0]?.name).toBe(path.basename(debs.good));
    expect(ctx.exec.toolsUsed().map((t) => t.name)).toEqual(expect.arrayContaining(['dpkg-deb', 'unshare']));
    // The sandbox directories are gone.
    expect(await readdir(tempDir)).toEqual([]);
    expectHostUntouched();
  });

  sandboxTest('installed code runs without network: only the loopback interface exists', async () => {
    const { result } = await runTestInstall({ package: debs.good, command: 'cat /proc/net/dev', 'expect-output': '^\\s*lo:' });
    reportTimings('network', result);
    expect(result.status).toBe('passed');
    const log = await readFile(result.outputValues['log'] ?? '', 'utf8');
    const commandOutput = log.slice(log.indexOf('== command:'), log.indexOf('== purge:'));
    const interfaces = commandOutput
      .split('\n')
      .filter((l) => /^\s*[\w.-]+:\s+\d/.test(l))
      .map((l) => l.split(':')[0]?.trim());
    expect(interfaces).toEqual(['lo']);
    expectHostUntouched();
  });

  sandboxTest('a failing postinst fails with INSTALL_FAILED and dpkg’s output', async () => {
    const { result } = await runTestInstall({ package: debs.failingPostinst });
    reportTimings('failing-postinst', result);
    expect(result.status).toBe('failed');
    expect(errors(result)).toEqual([['INSTALL_FAILED', 'package']]);
    expect(result.errors?.[0]?.exitCode).toBe(1);
    expect(result.errors?.[0]?.message).toContain('postinst refuses to configure');
    expect(result.errors?.[0]?.message).toMatch(/post-installation script (subprocess )?returned error exit status 1/);
    expect(result.outputValues['result']).toBe('failed');
    expect(existsSync(result.outputValues['log'] ?? '')).toBe(true);
    expect(steps(result).map((s) => s.step)).toEqual(['query-before', 'install']);
    expectHostUntouched();
  });

  sandboxTest('unmet Depends fail with INSTALL_FAILED naming the dependency', async () => {
    const { result } = await runTestInstall({ package: debs.unmetDepends });
    reportTimings('unmet-depends', result);
    expect(errors(result)).toEqual([['INSTALL_FAILED', 'package']]);
    expect(result.errors?.[0]?.message).toContain('depends on factory-it-does-not-exist');
    expectHostUntouched();
  });

  sandboxTest('state left behind after purge fails with INSTALL_RESIDUE listing it', async () => {
    const { result } = await runTestInstall({ package: debs.residue, command: 'factory-it-residue' });
    reportTimings('residue', result);
    expect(result.status).toBe('failed');
    expect(errors(result)).toEqual([['INSTALL_RESIDUE', 'package']]);
    expect(rules(result).every((r) => r.passed)).toBe(true);
    const residue = result.details?.['residue'] as { path: string; kind: string }[];
    expect(residue.map((r) => [r.path, r.kind])).toEqual([
      ['/etc/factory-it-residue.d/extra.conf', 'new'],
      ['/etc/shells', 'modified'],
      ['/var/lib/factory-it-residue/state', 'new'],
    ]);
    expect(result.errors?.[0]?.message).toContain('/var/lib/factory-it-residue/state (new file)');
    expectHostUntouched();
  });

  sandboxTest('a wrong expected version fails the version rule with INSTALL_DETECTION_FAILED', async () => {
    const { result } = await runTestInstall({ package: debs.good, 'expect-version': '9.9-1' });
    reportTimings('wrong-version', result);
    expect(errors(result)).toEqual([['INSTALL_DETECTION_FAILED', 'expect-version']]);
    expect(result.errors?.[0]?.message).toContain("detection rule 'version' failed");
    expect(result.errors?.[0]?.message).toContain("installed version '1.0-1', expected '9.9-1'");
    // The rest of the test still ran: the package was purged without residue.
    expect(result.details?.['purged']).toBe(true);
    expect(result.details?.['residue']).toEqual([]);
    expectHostUntouched();
  });

  sandboxTest('an epoch-equal version passes (0:1.0-1 is 1.0-1 to dpkg)', async () => {
    const { result } = await runTestInstall({ package: debs.good, 'expect-version': '0:1.0-1' });
    expect(result.status).toBe('passed');
  });

  sandboxTest('missing expected files, a failing command and unmatched output each name their rule', async () => {
    const { result } = await runTestInstall({
      package: debs.good,
      'expect-files': '/usr/bin/factory-it-good\n/usr/bin/not-shipped',
      command: 'factory-it-good --fail',
      'expect-output': 'never printed',
    });
    reportTimings('detection-failures', result);
    expect(errors(result)).toEqual([
      ['INSTALL_DETECTION_FAILED', 'expect-files'],
      ['INSTALL_DETECTION_FAILED', 'command'],
      ['INSTALL_DETECTION_FAILED', 'expect-output'],
    ]);
    expect(result.errors?.[0]?.message).toContain('1 of 2 expected file(s) missing: /usr/bin/not-shipped');
    expect(result.errors?.[1]?.message).toContain('exited with 3');
    expectHostUntouched();
  });

  sandboxTest('a command missing from the sandbox fails the command rule', async () => {
    const { result } = await runTestInstall({ package: debs.good, command: 'factory-it-not-installed' });
    expect(errors(result)).toEqual([['INSTALL_DETECTION_FAILED', 'command']]);
    expect(result.errors?.[0]?.message).toContain('command not found in the sandbox');
  });

  sandboxTest('a wrong expected name fails the name rule', async () => {
    const { result } = await runTestInstall({ package: debs.good, 'expect-name': 'something-else' });
    expect(errors(result)).toEqual([['INSTALL_DETECTION_FAILED', 'expect-name']]);
  });

  sandboxTest('a command that outlives timeout-seconds is killed and fails its rule', async () => {
    const { result } = await runTestInstall({ package: debs.good, command: '["sleep","30"]', 'timeout-seconds': '3' });
    reportTimings('timeout', result);
    expect(steps(result).find((s) => s.step === 'command')?.timedOut).toBe(true);
    expect(result.status).toBe('failed');
    expect(result.errors?.[0]?.message).toContain('ran out of time');
    expectHostUntouched();
  });

  sandboxTest('a maintainer script cannot read host secrets, and none reaches any output, log, event or record', async () => {
    const ctx = await session.contextFor('test-install');
    const options = testInstallStage.parse(
      { package: debs.snoop, 'output-dir': path.join(session.dir, 'out') },
      { workDir: session.dir, env: process.env },
    );
    const outcome = await runStage(testInstallStage, options, ctx);
    const result = outcome.result!;
    reportTimings('snoop', result);
    expect(errors(result)).toEqual([['INSTALL_FAILED', 'package']]);

    // The postinst ran and found nothing: both files are behind empty tmpfs mounts it cannot undo.
    const log = await readFile(result.outputValues['log'] ?? '', 'utf8');
    expect(log).toContain(`cat: ${tempSecretFile}: No such file or directory`);
    expect(log).toContain(`cat: ${ROOT_SECRET_FILE}: No such file or directory`);
    expect(log).toMatch(/umount: \/tmp: must be superuser to unmount/);
    // /etc/shadow inside has no password hash: only '*', '!*', '!' or empty fields.
    const pwFields = log.split('\n').filter((l) => l.startsWith('pwfield='));
    expect(pwFields.length).toBeGreaterThan(0);
    for (const line of pwFields) expect(line).toMatch(/^pwfield=!*\*?$/);
    // The failed step's record carries a short tail showing why, never raw output beyond it.
    const install = steps(result).find((s) => s.step === 'install');
    expect(install?.tail?.length).toBeLessThanOrEqual(10);
    expect(install?.tail?.join('\n')).toContain('No such file or directory');
    expect(install?.stdoutSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.errors?.[0]?.message).toContain('No such file or directory');

    // Nowhere: not in any file the run wrote (log, evidence pack, event log), the record, the logger.
    const written = await filesUnder(session.dir);
    expect(written).toEqual(expect.arrayContaining([session.evidencePath, session.eventLogPath, result.outputValues['log']]));
    for (const file of written) {
      if (file === tempSecretFile) continue;
      const text = await readFile(file, 'latin1');
      expect([file, text.includes(SECRET_IN_TEMP), text.includes(SECRET_IN_ROOT)]).toEqual([file, false, false]);
    }
    for (const text of [JSON.stringify(outcome.record), JSON.stringify(result), session.logger.text()]) {
      expect(text).not.toContain(SECRET_IN_TEMP);
      expect(text).not.toContain(SECRET_IN_ROOT);
    }
    // The package's output goes to the install log only: the event log never carries it (the
    // error's short tail in stage.end aside), the sandbox runs' exec events have no output.
    const events = await readFile(session.eventLogPath, 'utf8');
    expect(log).toContain('umount exit');
    expect(events).not.toContain('umount exit');
    const sandboxRuns = events
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { event: string; data?: { tool?: string; stdout?: string; stderr?: string } })
      .filter((e) => e.event === 'exec.end' && e.data?.tool === 'unshare');
    expect(sandboxRuns.length).toBeGreaterThan(1);
    for (const run of sandboxRuns) expect([run.data?.stdout, run.data?.stderr]).toEqual(['', '']);
    expectHostUntouched();
  });

  sandboxTest('the tested command cannot unmount, chroot, write sysctls or see host job directories', async () => {
    const probe =
      'umount /tmp; echo "umount=$?"; mkdir -p /tmp/jail && chroot /tmp/jail /bin/true; echo "chroot=$?"; ' +
      'echo x > /proc/sys/kernel/hostname; echo "sysctl=$?"; ' +
      'echo "tmp=[$(ls -A /tmp)] root=[$(ls -A /root)] home=[$(ls -A /home)] lock=[$(ls -d /run/lock)]"; grep CapBnd /proc/self/status';
    const { result } = await runTestInstall({ package: debs.good, command: JSON.stringify(['sh', '-c', probe]) });
    reportTimings('hardening', result);
    expect(result.status).toBe('passed');
    const log = await readFile(result.outputValues['log'] ?? '', 'utf8');
    const output = log.slice(log.indexOf('== command:'), log.indexOf('== purge:'));
    expect(output).toMatch(/umount=[1-9]/);
    expect(output).toMatch(/chroot=[1-9]/);
    expect(output).toMatch(/sysctl=[1-9]/);
    // /tmp holds only what the command made; /root and /home are empty; the fresh /run has /run/lock.
    expect(output).toContain('tmp=[jail] root=[] home=[] lock=[/run/lock]');
    const bounding = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(output)?.[1] ?? 'ffffffffff'}`);
    // CAP_DAC_READ_SEARCH (2), CAP_SYS_CHROOT (18), CAP_SYS_ADMIN (21), CAP_MKNOD (27) are gone; CAP_CHOWN (0) stays.
    for (const cap of [2n, 18n, 21n, 27n]) expect((bounding >> cap) & 1n).toBe(0n);
    expect(bounding & 1n).toBe(1n);
    const isolation = result.details?.['isolation'] as { hiddenDirs: string[] };
    expect(isolation.hiddenDirs).toEqual(expect.arrayContaining(['/root', '/tmp', '/var/tmp']));
  });

  sandboxTest('a file that is not a .deb is an input error', async () => {
    const notDeb = path.join(session.dir, 'not-a-package.deb');
    await writeFile(notDeb, 'plain text\n');
    await expect(runTestInstall({ package: notDeb })).rejects.toMatchObject({ code: 'INPUT_INVALID', subject: 'package', exitCode: 2 });
  });

  sandboxTest('through runStage: one evidence record, exit code 1 for a gate failure', async () => {
    const ctx = await session.contextFor('test-install');
    const options = testInstallStage.parse(
      { package: debs.good, 'expect-version': '9.9-1', 'output-dir': path.join(session.dir, 'out') },
      { workDir: session.dir, env: process.env },
    );
    const outcome = await runStage(testInstallStage, options, ctx);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['INSTALL_DETECTION_FAILED']);
    expect(outcome.record.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['dpkg', 'dpkg-deb', 'unshare']));
  });
});

describe('overlay sandbox prerequisites', () => {
  test('missing tools make the sandbox unavailable, with a hint', async () => {
    const ctx = await session.contextFor('test-install');
    const attempt = OverlaySandbox.create({ exec: ctx.exec, logger: ctx.logger, baseDir: ctx.tempDir, searchPath: '/nonexistent' });
    await expect(attempt).rejects.toBeInstanceOf(FactoryError);
    await expect(attempt).rejects.toMatchObject({ code: 'INSTALL_SANDBOX_UNAVAILABLE', subject: 'unshare' });
  });
});
