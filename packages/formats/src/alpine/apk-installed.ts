/**
 * Alpine's installed-package database, /lib/apk/db/installed (apk-tools; format documented on
 * wiki.alpinelinux.org "Apk spec", "Installed Database V2"): records separated by blank lines,
 * each line `X:value` with a one-letter key. Package keys: P name, V version, A arch, L license,
 * o origin (source package), m maintainer, D depends, p provides, C checksum, T description,
 * U url, c aports commit, S size, I installed size, t build time. F/R/a/M/Z lines list the files.
 */

export interface ApkInstalledPackage {
  /** 1-based position of the record. */
  index: number;
  name?: string;
  version?: string;
  arch?: string;
  license?: string;
  origin?: string;
  maintainer?: string;
  /** D: tokens as written ('so:libc.musl-x86_64.so.1', 'scanelf', 'busybox>=1.3', '!conflict'). */
  depends: string[];
  /** p: tokens as written ('cmd:getconf', 'so:libc.musl-x86_64.so.1=1'). */
  provides: string[];
  checksum?: string;
  description?: string;
  url?: string;
  commit?: string;
  size?: number;
  installedSize?: number;
  buildTime?: number;
  /** Installed files (F: directory + R: file name), in database order. */
  files: string[];
}

export interface ApkInstalled {
  packages: ApkInstalledPackage[];
  /** Lines that are not `X:value`, and records without a P: line. */
  notes: string[];
}

const LINE = /^([A-Za-z]):(.*)$/;

function integer(value: string): number | undefined {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/** Parses the installed database; tolerant of damaged lines (noted) as apk itself skips unknown keys. */
export function parseApkInstalled(text: string, subject: string): ApkInstalled {
  const packages: ApkInstalledPackage[] = [];
  const notes: string[] = [];
  let current: ApkInstalledPackage | undefined;
  let record = 0;
  let dir = '';
  let hadLines = false;
  const finish = (): void => {
    if (current === undefined) return;
    if (current.name === undefined) {
      if (hadLines) notes.push(`${subject}: record ${current.index} has no P: (package name) line; skipped`);
    } else packages.push(current);
    current = undefined;
    hadLines = false;
  };
  text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .forEach((line, lineIndex) => {
      if (line.trim() === '') {
        finish();
        return;
      }
      if (current === undefined) {
        record += 1;
        current = { index: record, depends: [], provides: [], files: [] };
        dir = '';
      }
      const match = LINE.exec(line);
      if (match === null) {
        notes.push(`${subject}:${lineIndex + 1}: not a 'X:value' line: '${line.slice(0, 80)}'`);
        return;
      }
      hadLines = true;
      const key = match[1] as string;
      const value = match[2] as string;
      const pkg = current;
      switch (key) {
        case 'P':
          pkg.name = value.trim();
          break;
        case 'V':
          pkg.version = value.trim();
          break;
        case 'A':
          pkg.arch = value.trim();
          break;
        case 'L':
          pkg.license = value.trim();
          break;
        case 'o':
          pkg.origin = value.trim();
          break;
        case 'm':
          pkg.maintainer = value.trim();
          break;
        case 'D':
          pkg.depends = value.split(/\s+/).filter(Boolean);
          break;
        case 'p':
          pkg.provides = value.split(/\s+/).filter(Boolean);
          break;
        case 'C':
          pkg.checksum = value.trim();
          break;
        case 'T':
          pkg.description = value.trim();
          break;
        case 'U':
          pkg.url = value.trim();
          break;
        case 'c':
          pkg.commit = value.trim();
          break;
        case 'S': {
          const n = integer(value);
          if (n !== undefined) pkg.size = n;
          break;
        }
        case 'I': {
          const n = integer(value);
          if (n !== undefined) pkg.installedSize = n;
          break;
        }
        case 't': {
          const n = integer(value);
          if (n !== undefined) pkg.buildTime = n;
          break;
        }
        case 'F':
          dir = value.trim();
          break;
        case 'R':
          pkg.files.push(dir === '' ? value.trim() : `${dir}/${value.trim()}`);
          break;
        default:
          // a, M, Z (modes, checksums of files), r (replaces), q, k, i, s... : not needed here.
          break;
      }
    });
  finish();
  return { packages, notes };
}

/** The name part of a D:/p: token: before any version constraint ('busybox>=1.3' → 'busybox', 'so:x=1' → 'so:x'). */
export function apkTokenName(token: string): string {
  return token.replace(/^!/, '').split(/[<>=~]/)[0] ?? '';
}
