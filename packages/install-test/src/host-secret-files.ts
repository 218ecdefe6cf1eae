import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Secret files in the persistent part of the host (/etc, /var/lib) and what the sandbox does
 * with each before anything from the package runs:
 *
 * - `sanitize`: the password databases. Packages legitimately edit them (adduser/useradd in a
 *   postinst), and useradd replaces the file by rename, which a bind mount over it would refuse
 *   (EBUSY). So the sandbox gets its own copy in the writable layer with the same users and
 *   groups, mode and owner, but every password hash replaced by `*` (a leading `!` lock kept).
 * - `remove`: private keys nobody inside needs. The writable layer gets an overlayfs whiteout,
 *   so inside the sandbox they do not exist (openssh-server's postinst would make new ones).
 *
 * Both are recorded as the sandbox's baseline, so the residue check still reports a package that
 * changes these files and does not undo it.
 */
export interface HostSecretFile {
  /** Absolute path on the host and inside the sandbox. */
  path: string;
  action: 'sanitize' | 'remove';
}

/** The password and group databases and their backups (shadow(5), gshadow(5)). */
const SANITIZED = ['/etc/gshadow', '/etc/gshadow-', '/etc/shadow', '/etc/shadow-'] as const;

/** Single files holding keys or old password hashes. */
const REMOVED = ['/etc/krb5.keytab', '/etc/security/opasswd', '/var/lib/systemd/credential.secret'] as const;

/** Directories whose entries match a pattern are removed: the SSH host private keys and TLS private keys. */
const REMOVED_IN_DIRS: readonly { dir: string; name: RegExp }[] = [
  { dir: '/etc/ssh', name: /^ssh_host_.*_key$/ },
  { dir: '/etc/ssl/private', name: /^/ },
];

/** The secret files this host has, below `root` (the overlay's lower layer; '/' outside tests). */
export async function findHostSecretFiles(root = '/'): Promise<HostSecretFile[]> {
  const found: HostSecretFile[] = [];
  for (const file of SANITIZED) {
    if (await isRegularFile(path.join(root, file))) found.push({ path: file, action: 'sanitize' });
  }
  for (const file of REMOVED) {
    if (await exists(path.join(root, file))) found.push({ path: file, action: 'remove' });
  }
  for (const { dir, name } of REMOVED_IN_DIRS) {
    let entries: string[];
    try {
      entries = await readdir(path.join(root, dir));
    } catch {
      continue;
    }
    for (const entry of entries) if (name.test(entry)) found.push({ path: path.posix.join(dir, entry), action: 'remove' });
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * shadow(5)/gshadow(5) text with the second field (the password hash) of every line replaced by
 * `*` ("no password works"), keeping a leading `!` (locked) so the account state reads the same.
 * Empty fields stay empty. Every other field, and the order of lines, is kept.
 */
export function sanitizePasswordDatabase(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const fields = line.split(':');
      const hash = fields[1];
      if (fields.length < 2 || hash === undefined || hash === '') return line;
      const lock = /^!*/.exec(hash)?.[0] ?? '';
      const rest = hash.slice(lock.length);
      fields[1] = rest === '' ? lock : `${lock}*`;
      return fields.join(':');
    })
    .join('\n');
}

async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}
