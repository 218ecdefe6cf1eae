import { chmod, chown, copyFile, lstat, mkdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError, isFactoryError, type ExecRunner, type Logger } from '@packaging-factory/core';
import type { InstallSandbox, SandboxChange, SandboxRunOptions, SandboxRunResult } from './sandbox.ts';
import { scanUpperLayer } from './upper-layer-changes.ts';

/**
 * The only PATH the sandbox sees, on the host side (to find unshare, mount, chroot) and inside the
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
 * Runs inside the fresh namespaces, with the sandbox directory as working directory. Constant text:
 * every value (the directory to hide, the command and its arguments) arrives as a positional
 * parameter and is only ever expanded quoted ("$1", "$@"), so nothing a user or a package controls
 * is ever parsed by the shell. Layer paths are relative to the working directory, which keeps them
 * out of the overlay option string too (a ',' or ':' in a path would otherwise split the options).
 *
 * - overlayfs with lowerdir=/ (read-only to the overlay, the host's root filesystem without its
 *   submounts) and the persistent upper/work dirs: each step sees what earlier steps wrote;
 * - a fresh /proc for the new PID namespace, a private /dev with only the harmless device nodes
 *   bound in and a private /dev/shm, so nothing can write to the host's tmpfs mounts;
 * - a tiny tmpfs over the sandbox directory's own path, so code inside cannot see or touch the
 *   upper layer through the lower one (overlayfs calls changes to a lower layer undefined);
 * - chroot and exec the command. The mount namespace dies with the command, mounts never reach the
 *   host (unshare --propagation private).
 */
export const SANDBOX_SCRIPT = `set -u
fail() { printf '${SETUP_MARKER}%s\\n' "$*" >&2; exit ${SETUP_FAILED}; }
hide=$1
shift
mount -t overlay factory-sandbox -o lowerdir=/,upperdir=upper,workdir=work merged || fail 'cannot mount overlayfs with lowerdir=/ and the upper dir here'
mount -t proc proc merged/proc || fail 'cannot mount /proc'
mount -t tmpfs -o mode=0755,size=1m,nosuid factory-dev merged/dev || fail 'cannot mount a private /dev'
for node in null zero full random urandom tty; do
  [ -e "/dev/$node" ] || continue
  : > "merged/dev/$node" && mount --bind "/dev/$node" "merged/dev/$node" || fail "cannot bind /dev/$node"
done
mkdir merged/dev/pts merged/dev/shm || fail 'cannot populate /dev'
mount -t tmpfs -o mode=1777,nosuid,nodev factory-shm merged/dev/shm || fail 'cannot mount /dev/shm'
ln -s /proc/self/fd merged/dev/fd && ln -s /proc/self/fd/0 merged/dev/stdin && ln -s /proc/self/fd/1 merged/dev/stdout && ln -s /proc/self/fd/2 merged/dev/stderr || fail 'cannot link /dev/fd'
if [ -n "$hide" ] && [ -d "merged$hide" ]; then
  mount -t tmpfs -o mode=0700,size=16k factory-hidden "merged$hide" || fail 'cannot hide the sandbox directory'
fi
exec chroot merged "$@"
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
  /** Where the sandbox's directories go (a stage's temp dir). */
  baseDir: string;
  /** Where host tools are looked up and the PATH inside the sandbox (default SANDBOX_PATH). */
  searchPath?: string;
}

/**
 * A throwaway copy of the host: overlayfs over `/` with the writable layer in a temp dir, entered
 * through fresh namespaces and chroot for every command. See SANDBOX_SCRIPT for what each run sets up.
 */
export class OverlaySandbox implements InstallSandbox {
  readonly kind = 'overlay' as const;
  private disposed = false;

  private constructor(
    private readonly exec: ExecRunner,
    private readonly logger: Logger,
    /** Holds upper/, work/ and merged/. */
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The writable layer: everything the sandbox changed, as seen from the host. */
  get upperDir(): string {
    return path.join(this.dir, 'upper');
  }

  /**
   * Checks the prerequisites (Linux, unshare, mount, chroot, dpkg, a working overlay mount) and
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
      ['chroot', 'coreutils'],
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
    const dir = path.join(await realpath(options.baseDir), 'overlay-sandbox');
    await mkdir(path.join(dir, 'upper'), { recursive: true, mode: 0o755 });
    await mkdir(path.join(dir, 'work'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(dir, 'merged'), { recursive: true, mode: 0o755 });
    const sandbox = new OverlaySandbox(options.exec, options.logger, dir, env);
    // Try the real thing once: a refused unshare (not root, no CAP_SYS_ADMIN) or overlay mount
    // (upper dir on overlayfs, no overlay module) shows here with the kernel's own message.
    let probe: SandboxRunResult;
    try {
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
    const args = [...UNSHARE_ARGS, 'sh', '-c', SANDBOX_SCRIPT, 'factory-sandbox', this.dir, ...argv];
    const started = Date.now();
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
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, durationMs: result.durationMs, timedOut: false };
    } catch (error) {
      if (isFactoryError(error) && error.code === 'TOOL_TIMEOUT') {
        return { exitCode: 124, stdout: '', stderr: error.message, durationMs: Date.now() - started, timedOut: true };
      }
      throw error;
    }
  }

  async copyIn(hostFile: string, sandboxPath: string): Promise<string> {
    if (!path.posix.isAbsolute(sandboxPath)) throw new Error(`bug: sandbox path must be absolute: ${sandboxPath}`);
    const target = path.join(this.upperDir, sandboxPath);
    await this.mirrorDirectory(path.posix.dirname(sandboxPath));
    await copyFile(hostFile, target);
    await chmod(target, 0o644);
    return sandboxPath;
  }

  changes(ignore: readonly string[]): Promise<SandboxChange[]> {
    return scanUpperLayer(this.upperDir, { ignore });
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

  /**
   * Creates a directory in the upper layer with the host's mode and owner when the host has it: an
   * upper directory's attributes win over the lower one's, so a plain mkdir of upper/tmp would turn
   * the sandbox's /tmp from 1777 into 0755.
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

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}
