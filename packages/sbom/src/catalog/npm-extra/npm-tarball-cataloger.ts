import { digestFile, FactoryError } from '@packaging-factory/core';
import { hasGzipMagic, readTarGzMembers } from '@packaging-factory/formats';
import { npmInstallLocation, parseInstalledNpmManifest, type InstalledNpmPackage } from '../../npm/npm-installed.ts';
import { parseNpmLockfile } from '../../npm/npm-lockfile.ts';
import { archiveCataloger } from '../archive-cataloger.ts';
import type { Cataloger, CatalogContext, CatalogOutput, CatalogTarget } from '../cataloger.ts';
import { catalogNpmProject, type NpmProjectCatalog } from './npm-project-catalog.ts';

/**
 * npm package tarballs (`npm pack` output, what the registry serves): a gzip tar whose single
 * top-level directory (npm writes `package/`; npm accepts any name) holds package.json, the
 * `bundleDependencies` installed under node_modules/, and npm-shrinkwrap.json when the package
 * pins its dependency tree (docs.npmjs.com/cli/configuring-npm/npm-shrinkwrap-json: the only lock
 * npm publishes and honours on install).
 */

/** The top-level directory holding package.json; `package` when there are several. */
function projectTop(paths: readonly string[]): string | undefined {
  const tops = paths.filter((p) => /^[^/]+\/package\.json$/.test(p)).map((p) => p.slice(0, p.indexOf('/')));
  return tops.includes('package') ? 'package' : tops.sort()[0];
}

/** Reads and catalogues one npm package tarball; undefined when it holds no `<top>/package.json`. */
export async function catalogNpmTarball(file: string, shown: string): Promise<NpmProjectCatalog | undefined> {
  const wanted = (member: string): boolean =>
    /^[^/]+\/(package|npm-shrinkwrap)\.json$/.test(member) || (member.includes('/node_modules/') && member.endsWith('/package.json'));
  const { entries, members } = await readTarGzMembers(file, wanted);
  const top = projectTop([...members.keys()]);
  if (top === undefined) return undefined;
  const dir = `/${top}`;

  const installed = new Map<string, InstalledNpmPackage>();
  const external = new Map<string, string>();
  const inTree = (member: string): { installPath: string } | undefined => {
    const location = npmInstallLocation(`/${member}`);
    return location !== undefined && location.project === dir ? location : undefined;
  };
  for (const [member, content] of [...members].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!member.endsWith('/package.json')) continue;
    const location = inTree(member.slice(0, -'/package.json'.length));
    if (location === undefined) continue;
    const pkgDir = `/${member.slice(0, -'/package.json'.length)}`;
    installed.set(location.installPath, parseInstalledNpmManifest(content.toString('utf8'), pkgDir, `/${member}`, `${shown}:${member}`));
  }
  // A bundled package directory that is a symlink cannot be followed inside the archive.
  for (const entry of entries) {
    if (entry.type !== 'symlink') continue;
    const location = inTree(entry.path);
    if (location !== undefined && !installed.has(location.installPath)) external.set(location.installPath, entry.linkTarget ?? '');
  }

  const shrinkwrapPath = `${top}/npm-shrinkwrap.json`;
  const shrinkwrap = members.get(shrinkwrapPath);
  const manifest = members.get(`${top}/package.json`) as Buffer;
  return catalogNpmProject({
    dir,
    source: shown,
    treeSource: `${shown}:${top}/node_modules`,
    manifest: { text: manifest.toString('utf8'), origin: `${shown}:${top}/package.json` },
    installed,
    external,
    ...(shrinkwrap === undefined
      ? {}
      : {
          lock: {
            file: `/${shrinkwrapPath}`,
            shown: `${shown}:${shrinkwrapPath}`,
            lockfile: parseNpmLockfile(shrinkwrap.toString('utf8'), `${shown}:${shrinkwrapPath}`),
          },
        }),
    treeIsComplete: false,
    sha256: await digestFile(file),
  });
}

async function catalogTarballTarget(target: CatalogTarget, ctx: CatalogContext): Promise<CatalogOutput> {
  const catalog = await catalogNpmTarball(target.file, target.shown);
  if (catalog === undefined) {
    // A .tgz that is no npm package: a plain archive whose content may still hold packages.
    if (ctx.catalogNested !== undefined && ctx.tempDir !== undefined) return archiveCataloger.catalog(target, ctx);
    throw new FactoryError('SBOM_UNSUPPORTED_FORMAT', `${target.shown} has no <dir>/package.json: it is not an npm package tarball`, {
      subject: target.shown,
      hint: 'pass the output of `npm pack`, or the directory holding the files',
    });
  }
  return { components: catalog.components, notes: catalog.notes.map((n) => `${target.shown}: ${n}`), unreadable: [] };
}

/** npm package tarballs (.tgz), by name and gzip magic. */
export const npmTarballCataloger: Cataloger = {
  kind: 'npm-tarball',
  role: 'artifact',
  matches: (c) => c.name.endsWith('.tgz') && hasGzipMagic(c.head),
  catalog: catalogTarballTarget,
};
