import { hasCompoundFileMagic, hasXarMagic } from '@packaging-factory/formats';
import type { Cataloger } from '../cataloger.ts';
import { catalogMacosPackage } from './macos-pkg-cataloger.ts';
import { catalogMsi } from './msi-cataloger.ts';

export { catalogMsi, msiPurl } from './msi-cataloger.ts';
export { catalogMacosPackage } from './macos-pkg-cataloger.ts';

/**
 * Windows Installer packages: the compound-file signature and an .msi name. Both are needed:
 * Word documents, .msp patches and .msm merge modules share the container but are not
 * installation packages.
 */
export const msiCataloger: Cataloger = {
  kind: 'msi',
  role: 'artifact',
  matches: (c) => /\.msi$/i.test(c.name) && hasCompoundFileMagic(c.head),
  catalog: (target) => catalogMsi(target.file, target.shown),
};

/** macOS flat installer packages: the xar magic and a .pkg/.mpkg name (.xip and Safari extensions are xar too). */
export const macosPkgCataloger: Cataloger = {
  kind: 'macos-pkg',
  role: 'artifact',
  matches: (c) => /\.m?pkg$/i.test(c.name) && c.head.length >= 4 && hasXarMagic(c.head),
  catalog: (target) => catalogMacosPackage(target.file, target.shown),
};

/** The installer-package catalogers, for generate-sbom's registry. */
export const installerCatalogers: Cataloger[] = [msiCataloger, macosPkgCataloger];
