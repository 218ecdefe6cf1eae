import type { Cataloger } from './cataloger.ts';
import { appZipCatalogers } from './apps-zip/index.ts';
import { archiveCataloger } from './archive-cataloger.ts';
import { debCataloger, npmLockfileCataloger } from './builtin-catalogers.ts';
import { installerCatalogers } from './installers/index.ts';
import { linuxCatalogers } from './linux/index.ts';
import { npmInstalledCataloger } from './npm-extra/npm-directory-cataloger.ts';
import { npmTarballCataloger } from './npm-extra/npm-tarball-cataloger.ts';
import { pythonCatalogers } from './python/python-catalogers.ts';

/**
 * Every cataloger generate-sbom consults, in order: the first whose `matches` accepts a file reads
 * it, so specific formats come before containers that could also hold them.
 */
export const CATALOGERS: readonly Cataloger[] = [
  debCataloger,
  // An installed tree (package.json with node_modules beside it) before the bare lockfile: what is
  // installed is what ships; the lockfile is cross-checked by both.
  npmInstalledCataloger,
  npmLockfileCataloger,
  ...linuxCatalogers,
  npmTarballCataloger,
  ...pythonCatalogers,
  ...appZipCatalogers,
  ...installerCatalogers,
  // Containers last: only what no format cataloger claims is opened as a plain archive.
  archiveCataloger,
];
