import type { Cataloger } from '../cataloger.ts';
import { poetryLockCataloger } from './poetry-lock-cataloger.ts';
import { pythonEggCataloger, pythonSdistCataloger, pythonWheelCataloger } from './python-distribution-catalogers.ts';
import { pythonInstalledCataloger } from './python-installed-cataloger.ts';
import { pythonRequirementsCataloger } from './requirements-cataloger.ts';

/**
 * Every Python cataloger, most specific first: distribution files by extension and magic bytes,
 * then installed metadata, then the lock and requirements files. The sdist cataloger claims only
 * sdist-shaped names in a walk; place it after any cataloger that reads other .tar.gz/.zip content.
 */
export const pythonCatalogers: Cataloger[] = [
  pythonWheelCataloger,
  pythonEggCataloger,
  pythonSdistCataloger,
  pythonInstalledCataloger,
  poetryLockCataloger,
  pythonRequirementsCataloger,
];
