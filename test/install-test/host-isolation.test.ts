import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  findHostSecretFiles,
  jobDirectories,
  OutputMasker,
  resolveHiddenDirs,
  sanitizePasswordDatabase,
  StepLog,
  type SandboxRunResult,
} from '@packaging-factory/install-test';
import { tempDir } from '../support/context.ts';

let dir: string;

beforeEach(async () => {
  dir = await tempDir('factory-isolation-');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runResult(stdout: string, stderr: string, exitCode = 0): SandboxRunResult {
  return { exitCode, stdout, stderr, stdoutSha256: 'a'.repeat(64), stderrSha256: 'b'.repeat(64), durationMs: 5, timedOut: false };
}

describe('password databases in the sandbox', () => {
  test('every hash becomes *, a lock ! stays, empty fields and other fields are kept', () => {
    const shadow = [
      'root:$y$j9T$abcdefgh$0123456789abcdefABCDEF:20228:0:99999:7:::',
      'runner:!$6$salt$hash:20228:0:99999:7:::',
      'daemon:*:20228:0:99999:7:::',
      'locked:!:20228::::::',
      'lockedstar:!*:20228::::::',
      'nopass::20228::::::',
      '',
    ].join('\n');
    expect(sanitizePasswordDatabase(shadow)).toBe(
      [
        'root:*:20228:0:99999:7:::',
        'runner:!*:20228:0:99999:7:::',
        'daemon:*:20228:0:99999:7:::',
        'locked:!:20228::::::',
        'lockedstar:!*:20228::::::',
        'nopass::20228::::::',
        '',
      ].join('\n'),
    );
    // gshadow: group password in field 2, admins and members kept.
    expect(sanitizePasswordDatabase('sudo:$6$x$y:admin:runner,admin\n')).toBe('sudo:*:admin:runner,admin\n');
  });

  test('the secret files of a host tree are found: shadow files to sanitize, private keys to remove', async () => {
    for (const file of [
      'etc/shadow',
      'etc/gshadow',
      'etc/ssh/ssh_host_ed25519_key',
      'etc/ssh/ssh_host_ed25519_key.pub',
      'etc/ssh/ssh_config',
      'etc/ssl/private/ssl-cert-snakeoil.key',
      'etc/krb5.keytab',
    ]) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), 'x\n');
    }
    expect(await findHostSecretFiles(dir)).toEqual([
      { path: '/etc/gshadow', action: 'sanitize' },
      { path: '/etc/krb5.keytab', action: 'remove' },
      { path: '/etc/shadow', action: 'sanitize' },
      { path: '/etc/ssh/ssh_host_ed25519_key', action: 'remove' },
      { path: '/etc/ssl/private/ssl-cert-snakeoil.key', action: 'remove' },
    ]);
  });
});

describe('host directories hidden in the sandbox', () => {
  test('real paths of existing directories, nested ones folded into their parent, sorted, with mode and owner', async () => {
    const job = path.join(dir, 'job');
    await mkdir(path.join(job, 'work', '_temp'), { recursive: true, mode: 0o750 });
    await mkdir(path.join(dir, 'cache'));
    await symlink(job, path.join(dir, 'job-link'));
    const { hidden, refused } = await resolveHiddenDirs([
      path.join(dir, 'cache'),
      path.join(job, 'work', '_temp'),
      path.join(dir, 'job-link'),
      path.join(dir, 'missing'),
      'relative/dir',
      '',
    ]);
    expect(refused).toEqual([]);
    expect(hidden.map((h) => h.path)).toEqual([path.join(dir, 'cache'), job].sort());
    const jobEntry = hidden.find((h) => h.path === job);
    expect(jobEntry?.mode).toBe(0o750);
    expect(jobEntry?.uid).toBe(process.getuid?.());
  });

  test('the root, system directories and their parents are never hidden', async () => {
    const { hidden, refused } = await resolveHiddenDirs(['/', '/usr', '/var', '/etc', '/var/lib/dpkg', '/opt', '/tmp']);
    expect(hidden.map((h) => h.path)).toEqual(['/tmp']);
    expect(refused.map((r) => r.path)).toEqual(['/', '/usr', '/var', '/etc', '/var/lib/dpkg', '/opt']);
    expect(refused[0]?.reason).toBe('it is the root directory');
    expect(refused[2]?.reason).toContain('/var/cache/factory-install or one of its parents');
  });

  test("the job's directories come from the runner's variables, with a self-hosted runner's own directory", () => {
    expect(
      jobDirectories({
        RUNNER_TEMP: '/home/runner/work/_temp',
        GITHUB_WORKSPACE: '/home/runner/work/r/r',
        RUNNER_TOOL_CACHE: '',
        HOME: '/x',
      }),
    ).toEqual(['/home/runner/work/r/r', '/home/runner/work/_temp']);
    expect(jobDirectories({ GITHUB_WORKSPACE: '/srv/actions-runner/_work/r/r', RUNNER_TEMP: '/srv/actions-runner/_work/_temp' })).toEqual([
      '/srv/actions-runner/_work/r/r',
      '/srv/actions-runner/_work/_temp',
      '/srv/actions-runner',
    ]);
    // A runner whose _work sits at the root has no parent worth hiding ('/' is refused anyway).
    expect(jobDirectories({ RUNNER_WORKSPACE: '/_work/r' })).toEqual(['/_work/r']);
  });
});

describe('what leaves the sandbox of a step', () => {
  const key = [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
    '-----END OPENSSH PRIVATE KEY-----',
  ].join('\n');

  test('secret environment values and secret shapes are masked; ordinary text is not', () => {
    const masker = new OutputMasker({ NPM_TOKEN: 'npm_0123456789abcdef', PATH: '/usr/bin:/bin', SHORT_TOKEN: 'abc' });
    const token = `ghp_${'A1b2'.repeat(9)}`;
    const masked = masker.mask(`token npm_0123456789abcdef in /usr/bin:/bin\n${key}\nafter ${token} abc\n`);
    expect(masked).toBe('token *** in /usr/bin:/bin\n***\nafter *** abc\n');
    // A tail that cut the END line off is still masked to its end.
    expect(masker.mask(`x\n${key.split('\n').slice(0, 2).join('\n')}`)).toBe('x\n***');
  });

  test('a step that did what was expected keeps digests only; a failed one a short, masked tail', () => {
    const log = new StepLog(new OutputMasker({ API_TOKEN: 'tok-0123456789' }));
    const ok = log.record('query', ['dpkg-query', '-W', 'x'], runResult('install ok installed 1.0\n', ''), true);
    expect(ok).toEqual({
      step: 'query',
      argv: ['dpkg-query', '-W', 'x'],
      exitCode: 0,
      durationMs: 5,
      stdoutSha256: 'a'.repeat(64),
      stderrSha256: 'b'.repeat(64),
    });
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const failed = log.record(
      'install',
      ['dpkg', '-i', 'x.deb'],
      runResult(`${lines.join('\n')}\n${key}\n`, `leaked tok-0123456789\n${'y'.repeat(500)}\n`, 1),
      false,
    );
    // Ten lines at most, the key masked before the lines were picked, long lines cut at 200 characters.
    expect(failed.tail).toEqual([...lines.slice(23), '***', 'leaked ***', `${'y'.repeat(200)}…`]);
    const text = log.text(['header']);
    expect(text).toContain('== install: exit 1');
    expect(text).toContain(`--- stdout (sha256 ${'a'.repeat(64)})`);
    expect(text).toContain('line 0');
    expect(text).not.toContain('tok-0123456789');
    expect(text).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
  });
});
