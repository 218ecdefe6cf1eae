import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { extractTar, FactoryError } from '@packaging-factory/core';
import { hasGzipMagic, hasZipMagic, readZipEntries } from '@packaging-factory/formats';
import type { Cataloger, CatalogContext } from './cataloger.ts';

/**
 * Plain containers (tar, tar.gz, zip) are not components themselves: they are opened and their
 * content catalogued like a directory, so a release zip holding an .rpm and a wheel yields both.
 * Placed last in the registry, so formats that are ZIPs or tarballs (wheels, APKs, npm tarballs,
 * sdists) are read by their own catalogers first.
 */

const TAR_NAME = /\.(tar|tar\.gz|tgz)$/i;
const ZIP_NAME = /\.zip$/i;

function isTar(head: Buffer): boolean {
  // POSIX ustar magic at offset 257 (a plain tar), or gzip (a tar.gz: its tar header is compressed).
  return hasGzipMagic(head) || (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar');
}

/** Entry names as a POSIX tar or zip tool would place them, refusing anything that leaves the directory. */
function safeRelative(file: string, name: string): string {
  const normalized = path.posix.normalize(name.replace(/\\/g, '/'));
  if (normalized.startsWith('/') || normalized === '..' || normalized.startsWith('../') || normalized.includes('\0')) {
    throw new FactoryError('ARCHIVE_UNSAFE', `${file}: entry '${name}' would be written outside the archive's directory`, {
      subject: file,
      hint: 'the archive is hostile or broken; rebuild it with relative entry names',
    });
  }
  return normalized;
}

async function unzipInto(file: string, dest: string): Promise<void> {
  const entries = await readZipEntries(file, () => true);
  for (const [name, data] of [...entries.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const target = path.join(dest, safeRelative(file, name));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      // Two entries normalising to one path (a/../b and b): the first stays, as readZipEntries keeps first copies.
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

export const archiveCataloger: Cataloger = {
  kind: 'archive',
  role: 'artifact',
  matches: (c) => (TAR_NAME.test(c.name) && isTar(c.head)) || (ZIP_NAME.test(c.name) && hasZipMagic(c.head)),
  async catalog(target, ctx: CatalogContext) {
    if (ctx.tempDir === undefined || ctx.catalogNested === undefined) {
      throw new FactoryError('SBOM_UNSUPPORTED_FORMAT', `${target.shown} is an archive and this caller cannot open nested content`, {
        subject: target.shown,
      });
    }
    const work = await mkdtemp(path.join(ctx.tempDir, 'archive-'));
    try {
      const dest = path.join(work, 'content');
      if (ZIP_NAME.test(target.file)) {
        await mkdir(dest);
        await unzipInto(target.file, dest);
      } else {
        await extractTar(target.file, dest, { name: target.shown });
      }
      await ctx.catalogNested(dest);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return { components: [], notes: [], unreadable: [] };
  },
};
