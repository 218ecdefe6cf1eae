import { chmod, chown, copyFile, lstat, mkdir, open, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { digestBytes, digestFile, FactoryError, isFactoryError, type ExecRunner, type Logger } from '@packaging-factory/core';
import { HIDDEN_HOST_DIRS, resolveHiddenDirs, type HiddenDir } from './hidden-host-paths.ts';
import { findHostSecretFiles, sanitizePasswordDatabase, type HostSecretFile } from './host-secret-files.ts';
import type { InstallSandbox, SandboxChange, SandboxRunOptions, SandboxRunResult } from './sandbox.ts';
import { scanUpperLayer } from './upper-layer-changes.ts';

/**
 * The only PATH the sandbox sees, on the host side (to find unshare, mount, capsh) and inside the
 * chroot. The host's environment is never passed in: maintainer scripts and the tested command must
 * not see the job's tokens, and a fixed PATH makes runs comparable.
 */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const SANDBOX_ENV: NodeJS.ProcessEnv = {
  PATH: SANDBOX_PATH,
  HOME: '/root',
  LANG: 'C.UTF-8',
  // debconf would otherwise try a dialog frontend and wait for an answer nobody gives.
  DEBIAN_FRONTEND: 'noninteractive',
  DEBCONF_NONINTERACTIVE_SEEN: 'true',
  TERM: 'dumb',
};

/** Exit status of the setup script when the sandbox itself could not be built (chroot(1) uses 125 alike). */
const SETUP_FAILED = 125;
const SETUP_MARKER = 'factory-sandbox: ';

/**
 * The capabilities the sandboxed command keeps (capabilities(7) numbers): what dpkg and maintainer
 * scripts use (chown, file modes, adduser, setcap for ping-like tools), close to Docker's default set.
 * Everything else is dropped from the bounding set, so not even a setuid binary gets it back. Above
 * all CAP_SYS_ADMIN (no umount of the hiding tmpfs, no mount), CAP_SYS_CHROOT (no chroot escape),
 * CAP_MKNOD (no raw block device of the host disk), CAP_DAC_READ_SEARCH (no open_by_handle_at),
 * CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_PTRACE, CAP_NET_ADMIN. Unknown newer ones are dropped too.
 */
const KEPT_CAPABILITIES = {
  cap_chown: 0,
  cap_dac_override: 1,
  cap_fowner: 3,
  cap_fsetid: 4,
  cap_kill: 5,
  cap_setgid: 6,
  cap_setuid: 7,
  cap_setpcap: 8,
  cap_net_bind_service: 10,
  cap_net_raw: 13,
  cap_audit_write: 29,
  cap_setfcap: 31,
} as const;

/** Where each run's stdout and stderr go, relative to the sandbox directory (hidden from inside). */
const OUTPUT_DIR = 'output';

/**
 * Runs inside the fresh namespaces, with the sandbox directory as working directory. Constant text:
 * every value (the directories to hide, the command and its arguments) arrives as a positional
 * parameter and is only ever expanded quoted ("$1", "$@"), so nothing a user or a package controls
 * is ever parsed by the shell. Layer paths are relative to the working directory, which keeps them
 * out of the overlay option string too (a ',' or ':' in a path would otherwise split the options).
 * Every tool here (mount, capsh) is the host's, run before anything from the sandbox.
 *
 * - overlayfs with lowerdir=/ (read-only to the overlay, the host's root filesystem without its
 *   submounts) and the persistent upper/work dirs: each step sees what earlier steps wrote;
 * - a fresh /proc for the new PID namespace with /proc/sys and /proc/sysrq-trigger read-only (root
 *   could otherwise set kernel.core_pattern or kernel.modprobe: helpers the host kernel runs as
 *   root outside every namespace), a private /dev with only the harmless device nodes bound in and
 *   a private /dev/shm, so nothing can write to the host's tmpfs mounts;
 * - an empty tmpfs over each directory to hide ($1 pairs of tmpfs options and path): the host's
 *   scratch and home directories, the job's directories, and the sandbox directory's own path (code
 *   inside must not see or touch the upper layer through the lower one: overlayfs calls changes to
 *   a lower layer undefined). A fresh /run gets /run/lock (the target of /var/lock);
 * - capsh (libcap) chroots, drops every capability but KEPT_CAPABILITIES from the bounding set and
 *   only then runs the command through the sandbox's /bin/sh (exec: PATH lookup, 127 when missing).
 *   Its stdout and stderr go to files in the sandbox directory, never through the exec runner's
 *   event log. The mount namespace dies with the command, mounts never reach the host
 *   (unshare --propagation private).
 */
export const SANDBOX_SCRIPT = `set -u
fail() { printf '${SETUP_MARKER}%s\\n' "$*" >&2; exit ${SETUP_FAILED}; }
hides=$1
shift
mount -t overlay factory-sandbox -o lowerdir=/,upperdir=upper,workdir=work merged || fail 'cannot mount overlayfs with lowerdir=/ and the upper dir here'
mount -t proc -o nosuid,nodev,noexec proc merged/proc || fail 'cannot mount /proc'
for entry in sys sysrq-trigger; do
  [ -e "merged/proc/$entry" ] || continue
  mount --bind "merged/proc/$entry" "merged/proc/$entry" && mount -o remount,bind,ro,nosuid,nodev,noexec "merged/proc/$entry" || fail "cannot make /proc/$entry read-only"
done
mount -t tmpfs -o mode=0755,size=1m,nosuid factory-dev merged/dev || fail 'cannot mount a private /dev'
for node in null zero full random urandom tty; do
  [ -e "/dev/$node" ] || continue
  : > "merged/dev/$node" && mount --bind "/dev/$node" "merged/dev/$node" || fail "cannot bind /dev/$node"
done
mkdir merged/dev/pts merged/dev/shm || fail 'cannot populate /dev'
mount -t tmpfs -o mode=1777,nosuid,nodev factory-shm merged/dev/shm || fail 'cannot mount /dev/shm'
ln -s /proc/self/fd merged/dev/fd && ln -s /proc/self/fd/0 merged/dev/stdin && ln -s /proc/self/fd/1 merged/dev/stdout && ln -s /proc/self/fd/2 merged/dev/stderr || fail 'cannot link /dev/fd'
while [ "$hides" -gt 0 ]; do
  [ $# -ge 2 ] || fail 'bug: fewer hide arguments than announced'
  options=$1
  hidden=$2
  target=merged$2
  shift 2
  hides=$((hides - 1))
  # Only a real directory of the copy: mount(8) would follow a symlink on the host side, and a path
  # that is no directory in the copy (a package replaced it) shows nothing of the host anyway.
  if [ -d "$target" ] && [ ! -L "$target" ]; then
    mount -t tmpfs -o "$options" factory-hidden "$target" || fail "cannot hide $hidden"
    if [ "$hidden" = /run ]; then mkdir -m 1777 "$target/lock" || fail 'cannot create /run/lock'; fi
  fi
done
last=$(cat /proc/sys/kernel/cap_last_cap) || fail 'cannot read /proc/sys/kernel/cap_last_cap'
drop=''
cap=0
while [ "$cap" -le "$last" ]; do
  case ' ${Object.values(KEPT_CAPABILITIES).join(' ')} ' in
    *" $cap "*) ;;
    *) if [ -n "$drop" ]; then drop="$drop,$cap"; else drop=$cap; fi ;;
  esac
  cap=$((cap + 1))
done
exec capsh --chroot=merged --drop="$drop" --shell=/bin/sh -- -c 'exec "$0" "$@"' "$@" >${OUTPUT_DIR}/stdout 2>${OUTPUT_DIR}/stderr
`;

/**
 * unshare(1) flags: new mount, PID, network, UTS and IPC namespaces. --fork makes the command PID 1
 * of its namespace, so daemons a maintainer script starts die with it; --net leaves only a downed
 * loopback, so installed code and maintainer scripts get no network.
 */
const UNSHARE_ARGS = ['--mount', '--pid', '--fork', '--net', '--uts', '--ipc', '--propagation', 'private', '--'];

const ALL_EXIT_CODES = Array.from({ length: 256 }, (_, i) => i);

const UNAVAILABLE_HINT =
  'run the stage on a Linux runner as root (e.g. `sudo -E` on GitHub-hosted Ubuntu runners) with overlayfs and unshare available, ' +
  'and keep RUNNER_TEMP on a local filesystem (ext4, xfs or tmpfs), not on overlayfs';

export interface OverlaySandboxOptions {
  exec: ExecRunner;
  logger: Logger;
  /** Where the sandbox's directories go (a stage's temp dir); hidden inside the sandbox. */
  baseDir: string;
  /**
   * More host directories to hide besides HIDDEN_HOST_DIRS and baseDir: the job's directories
   * (workspace, RUNNER_TEMP, ...). Essential system paths are refused with a warning.
   */
  hide?: readonly string[];
  /** Where host tools are looked up and the PATH inside the sandbox (default SANDBOX_PATH). */
  searchPath?: string;
}

/** What the sandbox put in the writable layer for a host secret file before any run. */
type SecretBaseline = { kind: 'sanitized'; sha256: string } | { kind: 'removed' };

/** The most of each output stream read back into memory; the digest always covers all of it. */
const MAX_OUTPUT_READ = 64 * 1024 * 1024;
const EMPTY_SHA256 = digestBytes('');

/**
 * A throwaway copy of the host: overlayfs over `/` with the writable layer in a temp dir, entered
 * through fresh namespaces, chroot and a reduced capability set for every command, with the host's
 * home, scratch and job directories hidden and its secret files sanitized or removed (see
 * SANDBOX_SCRIPT and host-secret-files.ts).
 */
export class OverlaySandbox implements InstallSandbox {
  readonly kind = 'overlay' as const;
  private disposed = false;
  private readonly baseline = new Map<string, SecretBaseline>();

  private constructor(
    private readonly exec: ExecRunner,
    private readonly logger: Logger,
    /** Holds upper/, work/, merged/ and output/. */
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    /** The host directories covered by an empty tmpfs in every run, sorted. */
    readonly hiddenDirs: readonly HiddenDir[],
  ) {}

  /** The writable layer: everything the sandbox changed, as seen from the host. */
  get upperDir(): string {
    return path.join(this.dir, 'upper');
  }

  /** The host secret files the sandbox sanitized or removed, sorted. */
  get secretFiles(): HostSecretFile[] {
    return [...this.baseline.entries()]
      .map(([file, base]): HostSecretFile => ({ path: file, action: base.kind === 'sanitized' ? 'sanitize' : 'remove' }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Checks the prerequisites (Linux, unshare, mount, chroot, capsh, dpkg, a working overlay mount) and
   * returns a ready sandbox, or fails with INSTALL_SANDBOX_UNAVAILABLE saying what is missing.
   */
  static async create(options: OverlaySandboxOptions): Promise<OverlaySandbox> {
    if (process.platform !== 'linux') {
      throw new FactoryError('INSTALL_SANDBOX_UNAVAILABLE', `the overlay sandbox needs Linux; this is ${process.platform}`, {
        subject: 'sandbox',
        hint: 'run test-install for .deb packages on a Linux runner (ubuntu-latest)',
      });
    }
    const searchPath = options.searchPath ?? SANDBOX_PATH;
    const env = { ...SANDBOX_ENV, PATH: searchPath };
    for (const [tool, pkg] of [
      ['unshare', 'util-linux'],
      ['mount', 'mount'],
      ['capsh', 'libcap2-bin'],
      ['mknod', 'coreutils'],
      ['sh', 'dash'],
      ['dpkg', 'dpkg'],
    ] as const) {
      if ((await options.exec.which(tool, env)) === undefined) {
        throw new FactoryError('INSTALL_SANDBOX_UNAVAILABLE', `the overlay sandbox needs '${tool}', which is not on ${searchPath}`, {
          subject: tool,
          hint: tool === 'dpkg' ? 'run the stage on a Debian or Ubuntu runner' : `install it (apt-get install ${pkg}); ${UNAVAILABLE_HINT}`,
        });
      }
    }
    await mkdir(options.baseDir, { recursive: true });
    // The real path: the hide mount inside the sandbox must name the directory as the lower layer sees it.
    const baseDir = await realpath(options.baseDir);
    const dir = path.join(baseDir, 'overlay-sandbox');
    await mkdir(path.join(dir, 'upper'), { recursive: true, mode: 0o755 });
    await mkdir(path.join(dir, 'work'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(dir, 'merged'), { recursive: true, mode: 0o755 });
    await mkdir(path.join(dir, OUTPUT_DIR), { recursive: true, mode: 0o700 });
    const { hidden, refused } = await resolveHiddenDirs([...HIDDEN_HOST_DIRS, baseDir, dir, ...(options.hide ?? [])]);
    for (const r of refused) options.logger.warn(`the sandbox cannot hide ${r.path}: ${r.reason}; code in the sandbox can read it`, r.path);
    const sandbox = new OverlaySandbox(options.exec, options.logger, dir, env, hidden);
    let probe: SandboxRunResult;
    try {
      await sandbox.coverSecretFiles();
      // Try the real thing once: a refused unshare (not root, no CAP_SYS_ADMIN) or overlay mount
      // (upper dir on overlayfs, no overlay module) shows here with the kernel's own message.
      probe = await sandbox.run(['true'], { timeoutMs: 60_000 });
    } catch (error) {
      await sandbox.dispose();
      throw error;
    }
    if (probe.exitCode !== 0) {
      await sandbox.dispose();
      const why = lastLine(probe.stderr) || `exit code ${probe.exitCode}`;
      throw new FactoryError('INSTALL_SANDBOX_UNAVAILABLE', `cannot create the overlay sandbox: ${why}`, {
        subject: 'sandbox',
        hint: UNAVAILABLE_HINT,
      });
    }
    return sandbox;
  }

  async run(argv: readonly string[], options: SandboxRunOptions): Promise<SandboxRunResult> {
    if (this.disposed) throw new Error('bug: sandbox used after dispose');
    if (argv.length === 0) throw new Error('bug: empty command for the sandbox');
    const stdoutFile = path.join(this.dir, OUTPUT_DIR, 'stdout');
    const stderrFile = path.join(this.dir, OUTPUT_DIR, 'stderr');
    // A run that fails before its command starts must not show the previous run's output.
    await rm(stdoutFile, { force: true });
    await rm(stderrFile, { force: true });
    const hides = this.hiddenDirs.flatMap((h) => [tmpfsOptions(h), h.path]);
    const args = [...UNSHARE_ARGS, 'sh', '-c', SANDBOX_SCRIPT, 'factory-sandbox', String(this.hiddenDirs.length), ...hides, ...argv];
    const started = Date.now();
    let exitCode: number;
    let setupStderr: string;
    let timedOut = false;
    try {
      const result = await this.exec.run('unshare', args, {
        cwd: this.dir,
        env: this.env,
        timeoutMs: Math.max(1, options.timeoutMs),
        okExitCodes: ALL_EXIT_CODES,
        ...(options.input === undefined ? {} : { input: options.input }),
      });
      if (result.exitCode === SETUP_FAILED && result.stderr.includes(SETUP_MARKER)) {
        const why = result.stderr.slice(result.stderr.indexOf(SETUP_MARKER) + SETUP_MARKER.length).trim();
        throw new FactoryError('INSTALL_SANDBOX_UNAVAILABLE', `cannot set up the overlay sandbox: ${why}`, {
          subject: 'sandbox',
          hint: UNAVAILABLE_HINT,
        });
      }
      exitCode = result.exitCode;
      // Only unshare's and the setup script's own messages: the command's output went to the files.
      setupStderr = result.stderr;
    } catch (error) {
      if (!(isFactoryError(error) && error.code === 'TOOL_TIMEOUT')) throw error;
      exitCode = 124;
      setupStderr = error.message;
      timedOut = true;
    }
    const stdout = await readCaptured(stdoutFile);
    const stderr = await readCaptured(stderrFile);
    return {
      exitCode,
      stdout: stdout.text,
      stderr: [stderr.text, setupStderr].filter((t) => t !== '').join('\n'),
      stdoutSha256: stdout.sha256,
      stderrSha256: stderr.sha256,
      durationMs: Date.now() - started,
      timedOut,
    };
  }

  async copyIn(hostFile: string, sandboxPath: string): Promise<string> {
    if (!path.posix.isAbsolute(sandboxPath)) throw new Error(`bug: sandbox path must be absolute: ${sandboxPath}`);
    const target = path.join(this.upperDir, sandboxPath);
    await this.mirrorDirectory(path.posix.dirname(sandboxPath));
    await copyFile(hostFile, target);
    await chmod(target, 0o644);
    return sandboxPath;
  }

  /** What the package changed: the writable layer against the host, minus the sandbox's own secret-file baseline. */
  async changes(ignore: readonly string[]): Promise<SandboxChange[]> {
    const changes: SandboxChange[] = [];
    for (const change of await scanUpperLayer(this.upperDir, { ignore })) {
      if (!(await this.isBaseline(change))) changes.push(change);
    }
    return changes;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      this.logger.warn(`could not remove the sandbox directory ${this.dir}: ${String(error)}`, this.dir);
    }
  }

  /** Puts the sanitized copies and whiteouts of the host's secret files in the writable layer. */
  private async coverSecretFiles(): Promise<void> {
    for (const secret of await findHostSecretFiles()) {
      await this.mirrorDirectory(path.posix.dirname(secret.path));
      const target = path.join(this.upperDir, secret.path);
      if (secret.action === 'sanitize') {
        const host = await stat(secret.path);
        const sanitized = sanitizePasswordDatabase(await readFile(secret.path, 'utf8'));
        await writeFile(target, sanitized, { mode: 0o600 });
        await chown(target, host.uid, host.gid);
        await chmod(target, host.mode & 0o7777);
        this.baseline.set(secret.path, { kind: 'sanitized', sha256: digestBytes(sanitized) });
      } else {
        // An overlayfs whiteout: a character device 0/0 in the upper layer hides the lower entry.
        await this.exec.run('mknod', [target, 'c', '0', '0'], { env: this.env, timeoutMs: 30_000 });
        this.baseline.set(secret.path, { kind: 'removed' });
      }
    }
  }

  /** True when the change is the sandbox's own cover of a secret file, untouched since. */
  private async isBaseline(change: SandboxChange): Promise<boolean> {
    const base = this.baseline.get(change.path);
    if (base === undefined) return false;
    const file = path.join(this.upperDir, change.path);
    if (base.kind === 'removed') {
      if (change.kind !== 'removed') return false;
      const info = await lstat(file);
      return info.isCharacterDevice() && info.rdev === 0;
    }
    return change.kind === 'modified' && (await digestFile(file)) === base.sha256;
  }

  /**
   * Creates a directory in the upper layer with the host's mode and owner when the host has it: an
   * upper directory's attributes win over the lower one's, so a plain mkdir of upper/etc/ssh would
   * change the sandbox's /etc/ssh from the host's mode to 0755.
   */
  private async mirrorDirectory(sandboxDir: string): Promise<void> {
    if (sandboxDir === '/') return;
    await this.mirrorDirectory(path.posix.dirname(sandboxDir));
    const target = path.join(this.upperDir, sandboxDir);
    try {
      await lstat(target);
      return;
    } catch {
      // not there yet
    }
    let mode = 0o700;
    let uid = 0;
    let gid = 0;
    try {
      const host = await lstat(sandboxDir);
      if (host.isDirectory()) {
        mode = host.mode & 0o7777;
        uid = host.uid;
        gid = host.gid;
      }
    } catch {
      // a directory only the sandbox has: private to root
    }
    await mkdir(target);
    await chown(target, uid, gid);
    await chmod(target, mode);
  }
}

/** tmpfs mount options for a hidden directory: empty, with the host directory's mode and owner. */
function tmpfsOptions(dir: HiddenDir): string {
  return `mode=${dir.mode.toString(8).padStart(4, '0')},uid=${dir.uid},gid=${dir.gid},nosuid,nodev`;
}

/** A run's output file: its text (the last MAX_OUTPUT_READ bytes at most) and the digest of all of it. */
async function readCaptured(file: string): Promise<{ text: string; sha256: string }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { text: '', sha256: EMPTY_SHA256 };
  }
  const sha256 = await digestFile(file);
  if (size <= MAX_OUTPUT_READ) return { text: await readFile(file, 'utf8'), sha256 };
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_OUTPUT_READ);
    const { bytesRead } = await handle.read(buffer, 0, MAX_OUTPUT_READ, size - MAX_OUTPUT_READ);
    return { text: `[… ${size - bytesRead} earlier bytes cut]\n${buffer.subarray(0, bytesRead).toString('utf8')}`, sha256 };
  } finally {
    await handle.close();
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}
