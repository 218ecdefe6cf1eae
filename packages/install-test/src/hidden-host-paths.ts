import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Host directories the sandbox covers with an empty tmpfs before anything from the package runs.
 * The sandbox is an overlay of the host's root filesystem entered as root, so without this a
 * maintainer script could read any host file (a job's keys in /tmp, /root/.ssh, the runner's
 * credentials under /home/runner). None of them is a place a Debian package may install to
 * (Debian policy 9.1: /home, /root, /srv, /mnt and /media belong to the local admin; /tmp, /var/tmp
 * and /run are scratch that does not survive a reboot), so hiding them costs the test nothing.
 * /opt/hostedtoolcache is GitHub's tool cache (RUNNER_TOOL_CACHE on hosted runners): jobs fill it,
 * packages never install into it. /opt itself stays visible: packages do install there.
 */
export const HIDDEN_HOST_DIRS = ['/home', '/media', '/mnt', '/opt/hostedtoolcache', '/root', '/run', '/srv', '/tmp', '/var/tmp'] as const;

/** Environment variables naming the job's own directories (GitHub Actions runner), hidden as well. */
export const JOB_DIR_VARIABLES = ['GITHUB_WORKSPACE', 'RUNNER_TEMP', 'RUNNER_TOOL_CACHE', 'RUNNER_WORKSPACE'] as const;

/**
 * Paths a hide must never cover, nor any of their ancestors: what dpkg and the packages need
 * (an empty /usr or /var/lib/dpkg would break every test), where the sandbox puts the .deb, and
 * the kernel's own trees. A job directory at `/` or `/var` (a CLI run from there) is not hidden.
 */
const ESSENTIAL_PATHS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib64',
  '/opt',
  '/proc',
  '/sbin',
  '/sys',
  '/usr',
  '/var/cache/factory-install',
  '/var/lib/dpkg',
  '/var/log',
] as const;

/** One directory to cover, with the mode and owner of the host's (so /tmp stays 1777 inside). */
export interface HiddenDir {
  /** Absolute real path on the host, which is also its path inside the sandbox. */
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

/** A directory that was asked to be hidden but cannot be, and why. */
export interface RefusedHide {
  path: string;
  reason: string;
}

/**
 * Resolves the directories to hide: real paths (a symlinked /home is hidden where it points),
 * only directories that exist, never an essential path or an ancestor of one, and no directory
 * under another hidden one (its tmpfs already covers it). Sorted, so runs are comparable.
 */
export async function resolveHiddenDirs(candidates: readonly string[]): Promise<{ hidden: HiddenDir[]; refused: RefusedHide[] }> {
  const refused: RefusedHide[] = [];
  const found = new Map<string, HiddenDir>();
  for (const candidate of candidates) {
    if (candidate === '' || !path.isAbsolute(candidate)) continue;
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      continue; // not on this host: nothing to hide
    }
    const info = await lstat(real);
    if (!info.isDirectory()) continue;
    const essential = ESSENTIAL_PATHS.find((p) => real === '/' || isSameOrUnder(p, real));
    if (essential !== undefined) {
      refused.push({ path: candidate, reason: `it is ${real === '/' ? 'the root directory' : `${essential} or one of its parents`}` });
      continue;
    }
    found.set(real, { path: real, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid });
  }
  const all = [...found.values()];
  const hidden = all
    .filter((dir) => !all.some((other) => other.path !== dir.path && isSameOrUnder(dir.path, other.path)))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { hidden, refused };
}

/**
 * The job's own directories named by the environment (GitHub Actions runner variables), to hide as
 * well, plus the runner's own directory: the parent of its `_work` directory, where a self-hosted
 * runner keeps its registration (.runner) and credentials (.credentials, .credentials_rsaparams).
 */
export function jobDirectories(env: NodeJS.ProcessEnv): string[] {
  const dirs = JOB_DIR_VARIABLES.map((name) => env[name] ?? '').filter((value) => value !== '');
  const runnerRoots = dirs.flatMap((dir) => {
    const at = dir.indexOf('/_work/');
    const end = at >= 0 ? at : dir.endsWith('/_work') ? dir.length - '/_work'.length : -1;
    return end > 0 ? [dir.slice(0, end)] : [];
  });
  return [...new Set([...dirs, ...runnerRoots])];
}

/** True when `p` is `dir` or lies under it, by whole path components. */
function isSameOrUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}
