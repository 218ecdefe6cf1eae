import { FactoryError } from '@packaging-factory/core';
import { parseXmlDocument, type XmlElement } from '../msix/xml-document.ts';
import { DEFAULT_XAR_LIMITS, withXarArchive, type XarArchive, type XarEntry, type XarLimits } from './xar-archive.ts';

/**
 * macOS flat installer packages, read from their xar archive:
 * - a component package (pkgbuild) has `PackageInfo` at the top: the package identifier, version,
 *   install location and the bundles (apps, plug-ins) its payload installs;
 * - a product archive (productbuild) has a `Distribution` (Apple, "Distribution XML Reference") whose
 *   `pkg-ref` elements name the component packages, each stored as a `<name>.pkg/` directory with
 *   its own PackageInfo; `pkg-ref` content `#<name>.pkg` points at that directory.
 */

export interface MacosBundle {
  /** CFBundleIdentifier. */
  id: string;
  /** Where the bundle lands, relative to the install location ('./Applications/Tool.app'). */
  path?: string;
  /** CFBundleShortVersionString, the marketing version. */
  shortVersion?: string;
  /** CFBundleVersion, the build number. */
  version?: string;
}

export interface MacosComponentPackage {
  /** The component's directory in the archive ('Tool.pkg'), '' for a flat component package. */
  archivePath: string;
  identifier: string;
  version: string;
  installLocation?: string;
  auth?: string;
  formatVersion?: string;
  generatorVersion?: string;
  /** Bundles the payload installs, nested ones included, in document order. */
  bundles: MacosBundle[];
  /** payload numberOfFiles / installKBytes. */
  payloadFiles?: number;
  installKBytes?: number;
  /** Names of the install scripts (preinstall, postinstall) the package runs. */
  scripts: string[];
}

export interface MacosPkgRef {
  id: string;
  version?: string;
  /** The reference as written ('#Tool.pkg'), when given. */
  href?: string;
  /** The component directory it points at inside this archive, when it does. */
  archivePath?: string;
  auth?: string;
  installKBytes?: number;
  /** Bundles listed under <bundle-version>. */
  bundles: MacosBundle[];
}

export interface MacosDistribution {
  title?: string;
  /** <product id version>: the product's identity, when productbuild was given one. */
  productId?: string;
  productVersion?: string;
  minSpecVersion?: string;
  /** <options hostArchitectures="x86_64,arm64">. */
  hostArchitectures: string[];
  /** One per pkg-ref id, merged across the elements that mention it, sorted by id. */
  pkgRefs: MacosPkgRef[];
}

export interface MacosPackage {
  /** 'product' when a Distribution is present, else 'component'. */
  kind: 'product' | 'component';
  distribution?: MacosDistribution;
  /** The component packages whose PackageInfo could be read, sorted by archive path. */
  components: MacosComponentPackage[];
  /** Component PackageInfo files present but not readable (encoding this reader does not decode). */
  unreadable: { path: string; reason: string }[];
  /** The TOC checksum algorithm verified, if the archive has one. */
  tocChecksum?: string;
  /** The archive's signature style, if signed (not verified here). */
  signatureStyle?: string;
}

/** Reads a .pkg's Distribution and PackageInfo files; refuses a xar that is neither kind. */
export async function readMacosPackage(file: string, limits: XarLimits = DEFAULT_XAR_LIMITS): Promise<MacosPackage> {
  return withXarArchive(
    file,
    async (xar) => {
      const distributionEntry = xar.entry('Distribution') ?? xar.entry('distribution.dist');
      const topInfo = xar.entry('PackageInfo');
      if (distributionEntry === undefined && topInfo === undefined) {
        throw new FactoryError(
          'ARCHIVE_CORRUPT',
          `${file} is a xar archive but not a macOS installer package: it has neither a Distribution nor a PackageInfo`,
          {
            subject: file,
            hint: 'give a package built by pkgbuild or productbuild',
          },
        );
      }
      const pkg: MacosPackage = { kind: distributionEntry !== undefined ? 'product' : 'component', components: [], unreadable: [] };
      if (xar.tocChecksum !== undefined) pkg.tocChecksum = xar.tocChecksum;
      if (xar.signatureStyle !== undefined) pkg.signatureStyle = xar.signatureStyle;
      if (distributionEntry !== undefined) {
        // The Distribution is the product's identity: failing to read it fails the package.
        pkg.distribution = parseDistribution(await xar.read(distributionEntry), `${file}:${distributionEntry.path}`);
      }
      const infos = xar.entries.filter((e) => e.type === 'file' && (e.path === 'PackageInfo' || /^[^/]+\.pkg\/PackageInfo$/.test(e.path)));
      for (const entry of infos) {
        const archivePath = entry.path === 'PackageInfo' ? '' : entry.path.slice(0, -'/PackageInfo'.length);
        const component = await readComponent(xar, entry, archivePath, pkg);
        if (component !== undefined) pkg.components.push(component);
      }
      pkg.components.sort((a, b) => (a.archivePath < b.archivePath ? -1 : a.archivePath > b.archivePath ? 1 : 0));
      if (pkg.distribution !== undefined) {
        const paths = new Set(xar.entries.map((e) => e.path));
        for (const ref of pkg.distribution.pkgRefs) {
          const target = ref.href === undefined ? undefined : archivePathOf(ref.href);
          if (target !== undefined && paths.has(target)) ref.archivePath = target;
        }
      }
      return pkg;
    },
    limits,
  );
}

async function readComponent(
  xar: XarArchive,
  entry: XarEntry,
  archivePath: string,
  pkg: MacosPackage,
): Promise<MacosComponentPackage | undefined> {
  let bytes: Buffer;
  try {
    bytes = await xar.read(entry);
  } catch (error) {
    // A flat package's own PackageInfo is its identity; a nested one that cannot be decoded is
    // reported and the product still listed from its Distribution.
    if (archivePath === '' || !(error instanceof FactoryError) || error.code !== 'ARCHIVE_UNSUPPORTED') throw error;
    pkg.unreadable.push({ path: entry.path, reason: error.message });
    return undefined;
  }
  return parsePackageInfo(bytes, `${xar.file}:${entry.path}`, archivePath);
}

/** Parses a PackageInfo document (root <pkg-info>). */
export function parsePackageInfo(bytes: Buffer, subject: string, archivePath = ''): MacosComponentPackage {
  const root = parseXmlDocument(bytes, subject);
  if (root.name !== 'pkg-info') throw malformed(subject, `the root element is <${root.name}>, not <pkg-info>`);
  const identifier = root.attributes.get('identifier')?.trim() ?? '';
  const version = root.attributes.get('version')?.trim() ?? '';
  if (identifier === '') throw malformed(subject, '<pkg-info> has no identifier');
  if (version === '') throw malformed(subject, '<pkg-info> has no version');
  const component: MacosComponentPackage = { archivePath, identifier, version, bundles: [], scripts: [] };
  const optional = [
    ['installLocation', 'install-location'],
    ['auth', 'auth'],
    ['formatVersion', 'format-version'],
    ['generatorVersion', 'generator-version'],
  ] as const;
  for (const [key, attribute] of optional) {
    const value = root.attributes.get(attribute);
    if (value !== undefined && value !== '') component[key] = value;
  }
  const payload = children(root, 'payload')[0];
  const files = count(payload?.attributes.get('numberOfFiles'));
  const kbytes = count(payload?.attributes.get('installKBytes'));
  if (files !== undefined) component.payloadFiles = files;
  if (kbytes !== undefined) component.installKBytes = kbytes;
  // Bundle definitions carry a path; the <bundle id> under bundle-version, upgrade-bundle,
  // relocate and the like only refer to them.
  const visit = (element: XmlElement): void => {
    for (const bundle of children(element, 'bundle')) {
      const parsed = bundleOf(bundle);
      if (parsed !== undefined && parsed.path !== undefined) component.bundles.push(parsed);
      visit(bundle);
    }
  };
  visit(root);
  const scripts = children(root, 'scripts')[0];
  if (scripts !== undefined) component.scripts = scripts.children.map((s) => s.name).sort();
  return component;
}

/** Parses a Distribution document (root <installer-gui-script>, or <installer-script> in old ones). */
export function parseDistribution(bytes: Buffer, subject: string): MacosDistribution {
  const root = parseXmlDocument(bytes, subject);
  if (root.name !== 'installer-gui-script' && root.name !== 'installer-script') {
    throw malformed(subject, `the root element is <${root.name}>, not <installer-gui-script>`);
  }
  const distribution: MacosDistribution = { hostArchitectures: [], pkgRefs: [] };
  const title = children(root, 'title')[0]?.text.trim();
  if (title !== undefined && title !== '') distribution.title = title;
  const minSpec = root.attributes.get('minSpecVersion');
  if (minSpec !== undefined) distribution.minSpecVersion = minSpec;
  const product = children(root, 'product')[0];
  const productId = product?.attributes.get('id')?.trim();
  const productVersion = product?.attributes.get('version')?.trim();
  if (productId !== undefined && productId !== '') distribution.productId = productId;
  if (productVersion !== undefined && productVersion !== '') distribution.productVersion = productVersion;
  const architectures = children(root, 'options')[0]?.attributes.get('hostArchitectures');
  if (architectures !== undefined) {
    distribution.hostArchitectures = architectures
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
  }
  // pkg-ref appears at the top level (definitions) and inside <choice> (references); one id may be
  // spread over several elements (one with the version and location, one with bundle-version).
  const refs = new Map<string, MacosPkgRef>();
  const collect = (element: XmlElement): void => {
    for (const node of element.children) {
      if (node.name === 'pkg-ref') {
        const id = node.attributes.get('id')?.trim() ?? '';
        if (id === '') throw malformed(subject, '<pkg-ref> without an id');
        const ref = refs.get(id) ?? { id, bundles: [] };
        const version = node.attributes.get('version');
        if (version !== undefined && version !== '' && ref.version === undefined) ref.version = version;
        const auth = node.attributes.get('auth');
        if (auth !== undefined && ref.auth === undefined) ref.auth = auth;
        const kbytes = count(node.attributes.get('installKBytes'));
        if (kbytes !== undefined && ref.installKBytes === undefined) ref.installKBytes = kbytes;
        if (node.text !== '' && ref.href === undefined) ref.href = node.text;
        for (const versions of children(node, 'bundle-version')) {
          for (const bundle of children(versions, 'bundle')) {
            const parsed = bundleOf(bundle);
            if (parsed !== undefined) ref.bundles.push(parsed);
          }
        }
        refs.set(id, ref);
      } else if (node.name === 'choice' || node.name === 'choices-outline' || node.name === 'line') {
        collect(node);
      }
    }
  };
  collect(root);
  distribution.pkgRefs = [...refs.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return distribution;
}

/**
 * '#Tool.pkg' (or 'file:./Tool.pkg' in older archives) → 'Tool.pkg', percent-decoded: productbuild
 * escapes spaces and other URL-unsafe characters in the reference.
 */
function archivePathOf(href: string): string | undefined {
  let path = href.trim();
  if (path.startsWith('#')) path = path.slice(1);
  else if (path.startsWith('file:')) path = path.slice('file:'.length);
  else return undefined;
  path = path.replace(/^\.\//, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  return path === '' || path.split('/').includes('..') ? undefined : path;
}

function bundleOf(element: XmlElement): MacosBundle | undefined {
  const id = element.attributes.get('id')?.trim();
  if (id === undefined || id === '') return undefined;
  const bundle: MacosBundle = { id };
  const path = element.attributes.get('path');
  const shortVersion = element.attributes.get('CFBundleShortVersionString');
  const version = element.attributes.get('CFBundleVersion');
  if (path !== undefined && path !== '') bundle.path = path;
  if (shortVersion !== undefined && shortVersion !== '') bundle.shortVersion = shortVersion;
  if (version !== undefined && version !== '') bundle.version = version;
  return bundle;
}

function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

function count(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

function malformed(subject: string, reason: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${subject}: ${reason}`, {
    subject,
    hint: 'the installer package metadata is malformed; rebuild the package with pkgbuild/productbuild',
  });
}
