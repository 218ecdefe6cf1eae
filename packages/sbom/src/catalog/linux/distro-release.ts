import { FactoryError } from '@packaging-factory/core';
import { OS_RELEASE_PATHS, OsReleaseSyntaxError, parseOsRelease, type OsRelease } from '@packaging-factory/formats';
import type { DistroRelease } from '../cataloger.ts';
import { readFileInRoot } from './root-path.ts';

/**
 * The purl `distro` qualifier from os-release: `<ID>-<VERSION_ID>` ('debian-12', 'ubuntu-22.04',
 * 'alpine-3.18.4'). Rolling releases have no VERSION_ID (Debian testing and sid, Arch): their
 * codename stands alone, as in the purl-spec deb examples ('distro=jessie'), else the ID.
 */
export function distroReleaseFrom(release: OsRelease): DistroRelease {
  const distro: DistroRelease = { id: release.id, qualifier: release.id };
  if (release.versionId !== undefined) distro.versionId = release.versionId;
  if (release.versionCodename !== undefined) distro.codename = release.versionCodename;
  if (release.versionId !== undefined) distro.qualifier = `${release.id}-${release.versionId}`;
  else if (release.versionCodename !== undefined) distro.qualifier = release.versionCodename;
  return distro;
}

/**
 * Reads a root filesystem's os-release (etc/os-release, else usr/lib/os-release, as os-release(5)
 * says), symlinks resolved inside the root. Undefined when the directory has neither.
 */
export async function findDistroRelease(rootDir: string): Promise<DistroRelease | undefined> {
  for (const inner of OS_RELEASE_PATHS) {
    const bytes = await readFileInRoot(rootDir, inner);
    if (bytes === undefined) continue;
    try {
      return distroReleaseFrom(parseOsRelease(bytes.toString('utf8')));
    } catch (error) {
      if (!(error instanceof OsReleaseSyntaxError)) throw error;
      throw new FactoryError('ARCHIVE_CORRUPT', `${rootDir}/${inner} is not a valid os-release file: ${error.message}`, {
        subject: `${rootDir}/${inner}`,
        hint: 'fix the quoting in the file (os-release(5)), or catalogue the package databases without the root filesystem',
        cause: error,
      });
    }
  }
  return undefined;
}
