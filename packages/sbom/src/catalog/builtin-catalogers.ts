import { readFile } from 'node:fs/promises';
import { detectFormatFromBytes } from '@packaging-factory/formats';
import { parseNpmLockfile } from '../npm/npm-lockfile.ts';
import type { Cataloger } from './cataloger.ts';
import { catalogDeb } from './deb-cataloger.ts';
import { catalogNpmLockfile } from './npm-cataloger.ts';

const LOCKFILE_NAMES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);

/** Debian binary packages, by their ar magic; in a walk only files named .deb/.udeb are opened. */
export const debCataloger: Cataloger = {
  kind: 'deb',
  role: 'artifact',
  matches: (c) => (c.explicit || /\.u?deb$/.test(c.name)) && detectFormatFromBytes(c.head) === 'deb',
  async catalog(target, ctx) {
    const catalog = await catalogDeb(target.file, ctx.exec, target.shown);
    return { components: catalog.components, notes: [], unreadable: [] };
  },
};

/**
 * npm lockfiles: package-lock.json / npm-shrinkwrap.json by name; a differently named file given
 * explicitly when its first bytes declare a lockfileVersion (npm writes it second, after name and version).
 */
export const npmLockfileCataloger: Cataloger = {
  kind: 'npm-lockfile',
  role: 'lockfile',
  matches: (c) =>
    LOCKFILE_NAMES.has(c.name) ||
    (c.explicit && c.name.endsWith('.json') && /^\s*\{[\s\S]*"lockfileVersion"\s*:\s*\d/.test(c.head.toString('utf8'))),
  async catalog(target) {
    const lock = parseNpmLockfile(await readFile(target.file, 'utf8'), target.file);
    return { components: catalogNpmLockfile(lock, { source: target.shown }).components, notes: [], unreadable: [] };
  },
};
