import { hasZipMagic } from '@packaging-factory/formats';
import type { CatalogCandidate, Cataloger } from '../cataloger.ts';
import { catalogApk } from './android-apk-cataloger.ts';
import { catalogIntunewin } from './intunewin-cataloger.ts';
import { catalogMsix } from './msix-cataloger.ts';

export { androidPurl, catalogApk, type ApkCatalog } from './android-apk-cataloger.ts';
export { catalogMsix, msixPurl, type MsixCatalog } from './msix-cataloger.ts';
export { catalogIntunewin, intunewinPurl, type IntunewinCatalog } from './intunewin-cataloger.ts';

/**
 * Catalogers for application packages that are ZIP containers: Android APKs, MSIX/APPX packages
 * and bundles, and Intune .intunewin files. In a directory walk a file is claimed by ZIP magic plus
 * its extension; a file the user names explicitly may instead be recognised by the entry name in
 * its first local header (within the 512 bytes of `head`), since those are ZIP files anyway.
 */

/** The first local header's entry name (offset 30, length at 26), when `head` holds it. */
function firstEntryName(head: Buffer): string | undefined {
  if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) return undefined;
  const length = head.readUInt16LE(26);
  return head.length >= 30 + length ? head.toString('latin1', 30, 30 + length) : undefined;
}

function zipMatch(candidate: CatalogCandidate, extensions: RegExp, firstEntries: RegExp): boolean {
  // The name first: in a directory walk only files with the right extension are opened at all.
  const named = extensions.test(candidate.name);
  if (!named && !candidate.explicit) return false;
  if (!hasZipMagic(candidate.head)) return false;
  if (named) return true;
  const first = firstEntryName(candidate.head);
  return candidate.explicit && first !== undefined && firstEntries.test(first);
}

export const androidApkCataloger: Cataloger = {
  kind: 'android-apk',
  role: 'artifact',
  // aapt writes AndroidManifest.xml first; signed or zipaligned APKs may start with META-INF/ or res/.
  matches: (c) => zipMatch(c, /\.apk$/i, /^AndroidManifest\.xml$/),
  async catalog(target) {
    const { component, notes } = await catalogApk(target.file, target.shown);
    return { components: [component], notes, unreadable: [] };
  },
};

export const msixCataloger: Cataloger = {
  kind: 'msix',
  role: 'artifact',
  matches: (c) => zipMatch(c, /\.(msix|appx)$/i, /^(AppxManifest\.xml|AppxBlockMap\.xml)$/),
  async catalog(target) {
    const { components, notes } = await catalogMsix(target.file, target.shown);
    return { components, notes, unreadable: [] };
  },
};

export const msixBundleCataloger: Cataloger = {
  kind: 'msix-bundle',
  role: 'artifact',
  matches: (c) => zipMatch(c, /\.(msixbundle|appxbundle)$/i, /^AppxMetadata\/AppxBundleManifest\.xml$/),
  async catalog(target) {
    const { components, notes } = await catalogMsix(target.file, target.shown);
    return { components, notes, unreadable: [] };
  },
};

export const intunewinCataloger: Cataloger = {
  kind: 'intunewin',
  role: 'artifact',
  matches: (c) => zipMatch(c, /\.intunewin$/i, /^IntuneWinPackage\//),
  async catalog(target) {
    const { component, notes } = await catalogIntunewin(target.file, target.shown);
    return { components: [component], notes, unreadable: [] };
  },
};

/** The ZIP-based application package catalogers, most specific first. */
export const appZipCatalogers: Cataloger[] = [androidApkCataloger, msixBundleCataloger, msixCataloger, intunewinCataloger];
