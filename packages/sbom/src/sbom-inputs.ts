import { closeSync, openSync, readSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { FactoryError } from '@packaging-factory/core';
import type { CatalogCandidate, Cataloger, DistroRelease } from './catalog/cataloger.ts';

/** One file generate-sbom will catalogue, and which cataloger reads it. */
export interface FoundInput {
  file: string;
  cataloger: Cataloger;
  /** Named directly by the user (not found in a directory walk). */
  explicit: boolean;
  /** The walked directory it was found in. */
  root?: string;
  /** That directory's os-release, when it is a root filesystem. */
  distro?: DistroRelease;
}

/**
 * Directories never walked: VCS metadata, and node_modules, whose packages are catalogued from the
 * project's lockfile or by the installed-tree cataloger, which reads the tree itself.
 */
const SKIPPED_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules']);

const HEAD_BYTES = 512;

function readHead(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const read = readSync(fd, head, 0, HEAD_BYTES, 0);
    return head.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * A candidate whose leading bytes are read on first use only: most of a 50,000-file tree is
 * rejected by name, and opening every file would cost more than the whole catalogue.
 */
export function candidateFor(file: string, relative: string, explicit: boolean): CatalogCandidate {
  let head: Buffer | undefined;
  return {
    path: file,
    name: path.basename(file),
    relative,
    explicit,
    get head(): Buffer {
      head ??= (() => {
        try {
          return readHead(file);
        } catch {
          // Unreadable files match nothing by content; the cataloger reports them if it matched by name.
          return Buffer.alloc(0);
        }
      })();
      return head;
    },
  };
}

function firstMatch(catalogers: readonly Cataloger[], candidate: CatalogCandidate): Cataloger | undefined {
  return catalogers.find((c) => c.matches(candidate));
}

/** Directories listed at once during a walk: one at a time left a 50,000-file tree waiting on the disk. */
const LISTINGS_AT_ONCE = 16;

/**
 * Walks a directory (symlinks not followed) and offers every regular file to the catalogers.
 * Directories are listed concurrently, so the order found is not stable: the caller sorts.
 */
async function walkDirectory(root: string, catalogers: readonly Cataloger[], distro: DistroRelease | undefined): Promise<FoundInput[]> {
  const found: FoundInput[] = [];
  const pending: string[] = [root];
  let active = 0;
  let failure: Error | undefined;
  await new Promise<void>((resolve) => {
    const visit = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        throw new FactoryError('FILE_UNREADABLE', `${dir} cannot be listed`, { subject: dir, cause: error });
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!SKIPPED_DIRS.has(entry.name)) pending.push(full);
        } else if (entry.isFile()) {
          const relative = path.relative(root, full).split(path.sep).join('/');
          const cataloger = firstMatch(catalogers, candidateFor(full, relative, false));
          if (cataloger !== undefined)
            found.push({ file: full, cataloger, explicit: false, root, ...(distro === undefined ? {} : { distro }) });
        }
      }
    };
    const pump = (): void => {
      while (failure === undefined && active < LISTINGS_AT_ONCE && pending.length > 0) {
        const dir = pending.pop() as string;
        active += 1;
        visit(dir).then(
          () => {
            active -= 1;
            pump();
          },
          (error: unknown) => {
            active -= 1;
            failure ??=
              error instanceof Error
                ? error
                : new FactoryError('FILE_UNREADABLE', `${root} cannot be walked`, { subject: root, cause: error });
            pump();
          },
        );
      }
      if (active === 0 && (pending.length === 0 || failure !== undefined)) resolve();
    };
    pump();
  });
  if (failure !== undefined) throw failure;
  return found;
}

/** What users call the formats, by the file name endings that suggest them. */
const NAMED_LIKE: [RegExp, string][] = [
  [/\.u?deb$/i, 'a Debian package'],
  [/\.rpm$/i, 'an RPM package'],
  [/\.apk$/i, 'an Android package'],
  [/\.(whl|egg)$/i, 'a Python distribution'],
  [/\.msi$/i, 'a Windows Installer package'],
  [/\.(msix|appx|msixbundle|appxbundle)$/i, 'an MSIX/APPX package'],
  [/\.intunewin$/i, 'an Intune Win32 app package'],
  [/\.m?pkg$/i, 'a macOS installer package'],
  [/\.(tgz|tar|tar\.gz|zip)$/i, 'an archive'],
  [/\.json$/i, 'a JSON lockfile'],
];

const SUPPORTED =
  'generate-sbom reads .deb, .rpm, Android .apk, Python .whl/.egg/sdists, .msi, .msix/.appx, .intunewin, macOS .pkg, npm pack .tgz, package-lock.json/npm-shrinkwrap.json, requirements*.txt, poetry.lock, and, inside directories or root filesystems, node_modules trees, *.dist-info/*.egg-info, dpkg status, rpmdb and Alpine installed databases; other .tar/.zip archives are opened and their content read';

function classify(file: string, catalogers: readonly Cataloger[]): Cataloger {
  const cataloger = firstMatch(catalogers, candidateFor(file, path.basename(file), true));
  if (cataloger !== undefined) return cataloger;
  const named = NAMED_LIKE.find(([pattern]) => pattern.test(file))?.[1];
  const what = named === undefined ? '' : `: it is named like ${named}, but its content is not one (formats are recognised by content)`;
  throw new FactoryError(
    'SBOM_UNSUPPORTED_FORMAT',
    `${file} is not a package, lockfile or package database generate-sbom can read${what}`,
    {
      subject: file,
      hint: `${SUPPORTED}. Remove this path from the paths input, or point at the directory holding the packages`,
    },
  );
}

export interface ExpandOptions {
  /** Reads a walked directory's os-release (root filesystems), for the purl `distro` qualifier. */
  distroOf?: (root: string) => Promise<DistroRelease | undefined>;
}

/** Expands the paths input into the files to catalogue, each with its cataloger; deduplicated and sorted by path. */
export async function expandSbomInputs(
  paths: readonly string[],
  workDir: string,
  catalogers: readonly Cataloger[],
  options: ExpandOptions = {},
): Promise<FoundInput[]> {
  const byFile = new Map<string, FoundInput>();
  const add = (input: FoundInput): void => {
    // A file named directly and also found by a walk keeps the explicit entry.
    if (!byFile.has(input.file) || input.explicit) byFile.set(input.file, input);
  };
  for (const given of paths) {
    const absolute = path.resolve(workDir, given);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.isDirectory() === true) {
      const distro = await options.distroOf?.(absolute);
      for (const input of await walkDirectory(absolute, catalogers, distro)) add(input);
    } else if (info?.isFile() === true) {
      add({ file: absolute, cataloger: classify(absolute, catalogers), explicit: true });
    } else if (isDynamicPattern(given)) {
      const matches = await glob([given], { cwd: workDir, absolute: true, onlyFiles: true, dot: false });
      if (matches.length === 0) {
        throw new FactoryError('FILE_NOT_FOUND', `paths: the pattern '${given}' matched no files`, {
          subject: 'paths',
          hint: 'check the pattern; it is matched from the working directory',
        });
      }
      for (const match of matches.sort()) {
        const file = path.resolve(match);
        add({ file, cataloger: classify(file, catalogers), explicit: true });
      }
    } else {
      throw new FactoryError('FILE_NOT_FOUND', `paths: ${given} does not exist`, {
        subject: 'paths',
        hint: 'check the path; relative paths are resolved from the working directory',
      });
    }
  }
  return [...byFile.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
