import type { Cataloger } from './cataloger.ts';
import { debCataloger, npmLockfileCataloger } from './builtin-catalogers.ts';

/**
 * Every cataloger generate-sbom consults, in order: the first whose `matches` accepts a file reads
 * it, so specific formats come before containers that could also hold them.
 */
export const CATALOGERS: readonly Cataloger[] = [debCataloger, npmLockfileCataloger];
