import { readFile } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';
import { PackageURL } from 'packageurl-js';
import { queryFromPurl } from './purl-component.ts';

/** A package to look up in the database, derived from one SBOM component's purl. */
export interface PackageQuery {
  /** OSV base ecosystem (`npm`, `Debian`, `PyPI`, `Red Hat`). */
  ecosystem: string;
  /** The release the component belongs to as OSV writes it (`12` for Debian 12, `v3.18`, `22.04:LTS`), when the purl says. */
  release?: string;
  /** Why the release is unknown or how it was read, for the finding. */
  releaseNote?: string;
  /** The component's version. */
  version: string;
  /** Name and version pairs to look up: the package, and for a distribution binary its source package too. */
  lookups: { name: string; version: string }[];
}

export interface SbomComponent {
  bomRef?: string;
  name: string;
  version?: string;
  purl?: string;
  query: PackageQuery;
}

export interface SkippedComponent {
  bomRef?: string;
  name: string;
  version?: string;
  purl?: string;
  reason: string;
}

/** A package component the scan cannot look up: it names no purl, or no version. */
export interface UnscannableComponent extends SkippedComponent {
  /** The CycloneDX component type (`library`, `application`...). */
  type: string;
}

export interface SbomComponents {
  /** Components found, nested ones included (metadata.component, the subject, is not scanned). */
  total: number;
  /** Components of type `file`: contents of a package, not packages; there is nothing to look up. */
  files: number;
  scannable: SbomComponent[];
  /** Components with a purl of an ecosystem we do not scan, a purl that does not parse, or non-package types without one. */
  skipped: SkippedComponent[];
  /** Package components (library, application...) without a purl or a version: shipped, but not identifiable. */
  unscannable: UnscannableComponent[];
  /** Dependencies a package declares but does not ship (generate-sbom's declared-only placeholders, no version). */
  declaredOnly: SkippedComponent[];
}

/**
 * CycloneDX component types that are packages someone could publish an advisory for (CycloneDX 1.6
 * `component.type`). Other types (data, firmware, device...) without a purl are only listed as skipped.
 */
export const PACKAGE_COMPONENT_TYPES: readonly string[] = ['library', 'application', 'framework', 'container', 'operating-system'];

/**
 * generate-sbom marks a Depends/Pre-Depends it could not resolve to a shipped package with this
 * property: the package needs it on the target system but does not contain it, so there is no version to check.
 */
export const DECLARED_ONLY_PROPERTY = 'packaging-factory:deb:declared-only';

interface CdxComponent {
  'bom-ref'?: unknown;
  type?: unknown;
  group?: unknown;
  name?: unknown;
  version?: unknown;
  purl?: unknown;
  properties?: unknown;
  components?: unknown;
}

/**
 * Reads a CycloneDX JSON or SPDX 2.x JSON SBOM and turns each component (CycloneDX nested
 * `components` included; SPDX `packages`) into a query. Nothing is silently dropped: package
 * components without a purl or version are listed as unscannable, declared-only dependencies
 * separately, and purls we cannot parse or of an ecosystem we do not scan as skipped.
 */
export async function readSbomComponents(file: string): Promise<SbomComponents> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FactoryError('FILE_NOT_FOUND', `SBOM ${file} cannot be read`, {
      cause: error,
      subject: 'sbom',
      hint: 'pass the CycloneDX JSON file written by generate-sbom in the sbom input',
    });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new FactoryError('SCAN_SBOM_INVALID', `SBOM ${file} is not valid JSON`, { cause: error, subject: 'sbom' });
  }
  if (typeof document === 'object' && document !== null) {
    const spdxVersion = (document as Record<string, unknown>)['spdxVersion'];
    if (typeof spdxVersion === 'string' && spdxVersion.startsWith('SPDX-2.'))
      return readSpdxPackages(file, document as Record<string, unknown>);
  }
  if (typeof document !== 'object' || document === null || (document as Record<string, unknown>)['bomFormat'] !== 'CycloneDX') {
    throw new FactoryError(
      'SCAN_SBOM_INVALID',
      `SBOM ${file} is neither a CycloneDX JSON document (bomFormat "CycloneDX") nor an SPDX 2.x JSON document (spdxVersion "SPDX-2.x")`,
      {
        subject: 'sbom',
        hint: 'scan reads CycloneDX JSON and SPDX 2.x JSON; generate one with generate-sbom',
      },
    );
  }
  const components = (document as Record<string, unknown>)['components'];
  if (components !== undefined && !Array.isArray(components)) {
    throw new FactoryError('SCAN_SBOM_INVALID', `SBOM ${file}: "components" must be an array`, { subject: 'sbom' });
  }
  const result: SbomComponents = { total: 0, files: 0, scannable: [], skipped: [], unscannable: [], declaredOnly: [] };
  const visit = (list: unknown[], trail: string): void => {
    list.forEach((item, index) => {
      const where = `${trail}[${index}]`;
      if (typeof item !== 'object' || item === null) {
        throw new FactoryError('SCAN_SBOM_INVALID', `SBOM ${file}: ${where} is not an object`, { subject: 'sbom' });
      }
      const component = item as CdxComponent;
      result.total++;
      if (component.type === 'file' && component.purl === undefined) result.files++;
      else classify(component, where, result);
      if (component.components !== undefined) {
        if (!Array.isArray(component.components)) {
          throw new FactoryError('SCAN_SBOM_INVALID', `SBOM ${file}: ${where}.components must be an array`, { subject: 'sbom' });
        }
        visit(component.components as unknown[], `${where}.components`);
      }
    });
  };
  visit((components as unknown[] | undefined) ?? [], 'components');
  return result;
}

interface SpdxPackage {
  SPDXID?: unknown;
  name?: unknown;
  versionInfo?: unknown;
  primaryPackagePurpose?: unknown;
  externalRefs?: unknown;
}

/**
 * SPDX 2.x JSON: each `packages[]` entry is a component, identified by its `externalRefs` of
 * referenceType `purl` (SPDX 2.3 Annex F, category PACKAGE-MANAGER; 2.2 spelled it PACKAGE_MANAGER)
 * and versioned by `versionInfo`. `primaryPackagePurpose` (2.3) maps to the CycloneDX type; packages
 * without one are taken as libraries, like most SPDX producers mean them.
 */
function readSpdxPackages(file: string, document: Record<string, unknown>): SbomComponents {
  const packages = document['packages'];
  if (packages !== undefined && !Array.isArray(packages)) {
    throw new FactoryError('SCAN_SBOM_INVALID', `SBOM ${file}: "packages" must be an array`, { subject: 'sbom' });
  }
  const result: SbomComponents = { total: 0, files: 0, scannable: [], skipped: [], unscannable: [], declaredOnly: [] };
  ((packages as unknown[] | undefined) ?? []).forEach((item, index) => {
    const where = `packages[${index}]`;
    if (typeof item !== 'object' || item === null) {
      throw new FactoryError('SCAN_SBOM_INVALID', `SBOM ${file}: ${where} is not an object`, { subject: 'sbom' });
    }
    const pkg = item as SpdxPackage;
    result.total++;
    const purpose = text(pkg.primaryPackagePurpose)?.toLowerCase();
    const component: CdxComponent = { type: purpose === undefined || purpose === 'install' ? 'library' : purpose };
    if (pkg.SPDXID !== undefined) component['bom-ref'] = pkg.SPDXID;
    if (pkg.name !== undefined) component.name = pkg.name;
    if (text(pkg.versionInfo) !== undefined && pkg.versionInfo !== 'NOASSERTION') component.version = pkg.versionInfo;
    const purl = spdxPurl(pkg.externalRefs);
    if (purl !== undefined) component.purl = purl;
    if (component.type === 'file' && component.purl === undefined) result.files++;
    else classify(component, where, result);
  });
  return result;
}

function spdxPurl(refs: unknown): string | undefined {
  if (!Array.isArray(refs)) return undefined;
  for (const ref of refs as unknown[]) {
    if (typeof ref !== 'object' || ref === null) continue;
    const r = ref as Record<string, unknown>;
    const category = text(r['referenceCategory'])?.replace('_', '-');
    if (category === 'PACKAGE-MANAGER' && r['referenceType'] === 'purl') {
      const locator = text(r['referenceLocator']);
      if (locator !== undefined) return locator;
    }
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function classify(component: CdxComponent, where: string, result: SbomComponents): void {
  const name = text(component.name) ?? where;
  const base: Omit<SkippedComponent, 'reason'> = { name };
  const bomRef = text(component['bom-ref']);
  const version = text(component.version);
  const purlText = text(component.purl);
  if (bomRef !== undefined) base.bomRef = bomRef;
  if (version !== undefined) base.version = version;
  if (purlText !== undefined) base.purl = purlText;
  if (purlText === undefined) {
    unidentified(component, { ...base, reason: 'no purl' }, result);
    return;
  }
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(purlText);
  } catch (error) {
    result.skipped.push({ ...base, reason: `purl does not parse: ${(error as Error).message}` });
    return;
  }
  const purlVersion = purl.version ?? version;
  if (purlVersion === undefined || purlVersion === '') {
    unidentified(component, { ...base, reason: 'no version in purl or component' }, result);
    return;
  }
  const query = queryFromPurl(purl, purlVersion, hintsOf(component));
  if (typeof query === 'string') {
    result.skipped.push({ ...base, reason: query });
    return;
  }
  result.scannable.push({ ...base, query });
}

/**
 * Sorts a component that names no purl or no version: a declared-only dependency is not shipped, a
 * package component is shipped but cannot be looked up (unscannable, reported as a warning), and
 * any other type is listed as skipped.
 */
function unidentified(component: CdxComponent, skipped: SkippedComponent, result: SbomComponents): void {
  if (isDeclaredOnly(component)) {
    result.declaredOnly.push({ ...skipped, reason: 'declared dependency, not shipped in the package' });
    return;
  }
  // CycloneDX requires `type`; a component without one may well be a package, so it is listed with them.
  const type = text(component.type);
  if (type === undefined || PACKAGE_COMPONENT_TYPES.includes(type)) {
    result.unscannable.push({ ...skipped, type: type ?? 'unknown' });
    return;
  }
  result.skipped.push({ ...skipped, reason: `${skipped.reason} (a ${type} component, not a package)` });
}

function isDeclaredOnly(component: CdxComponent): boolean {
  if (!Array.isArray(component.properties)) return false;
  return component.properties.some(
    (property: unknown) =>
      typeof property === 'object' &&
      property !== null &&
      (property as Record<string, unknown>)['name'] === DECLARED_ONLY_PROPERTY &&
      (property as Record<string, unknown>)['value'] === 'true',
  );
}

/** The CycloneDX name (`group/name` for scoped npm packages), for the registry's own spelling of npm names. */
function hintsOf(component: CdxComponent): { name?: string } {
  const group = text(component.group);
  const own = text(component.name);
  if (own === undefined) return {};
  return { name: group !== undefined ? `${group}/${own}` : own };
}
