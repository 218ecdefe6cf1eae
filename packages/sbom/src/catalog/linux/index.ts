import type { Cataloger } from '../cataloger.ts';
import { apkInstalledCataloger } from './apk-installed-cataloger.ts';
import { dpkgStatusCataloger } from './dpkg-status-cataloger.ts';
import { rpmCataloger, rpmdbBerkeleyCataloger, rpmdbSqliteCataloger } from './rpm-cataloger.ts';

export * from './root-path.ts';
export * from './distro-release.ts';
export * from './rpm-cataloger.ts';
export * from './dpkg-status-cataloger.ts';
export * from './apk-installed-cataloger.ts';

/** The Linux OS package catalogers: .rpm files, rpm databases, dpkg status files, Alpine's installed db. */
export const linuxCatalogers: Cataloger[] = [
  rpmCataloger,
  rpmdbSqliteCataloger,
  rpmdbBerkeleyCataloger,
  dpkgStatusCataloger,
  apkInstalledCataloger,
];
