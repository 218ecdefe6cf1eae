import type { Cataloger } from './cataloger.ts';
import { archiveCataloger } from './archive-cataloger.ts';
import { debCataloger, npmLockfileCataloger } from './builtin-catalogers.ts';

/**
 * Every cataloger generate-sbom consults, in order: the first whose `matches` accepts a file reads
 * it, so specific formats come before containers that could also hold them.
 */
export const CATALOGERS: readonly Cataloger[] = [
  debCataloger,
  npmLockfileCataloger,
  // Containers last: only what no format cataloger claims is opened as a plain archive.
  archiveCataloger,
];
