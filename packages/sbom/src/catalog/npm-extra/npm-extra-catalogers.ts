import type { Cataloger } from '../cataloger.ts';
import { npmInstalledCataloger } from './npm-directory-cataloger.ts';
import { npmTarballCataloger } from './npm-tarball-cataloger.ts';

/**
 * npm beyond lockfiles: package tarballs and installed project directories. Both must come before
 * the plain-archive cataloger (a .tgz is a tar) and npm-installed before the lockfile cataloger
 * when node_modules/.package-lock.json is named directly.
 */
export const npmExtraCatalogers: Cataloger[] = [npmTarballCataloger, npmInstalledCataloger];
