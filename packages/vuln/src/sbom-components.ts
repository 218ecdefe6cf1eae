import { readFile } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';
import { PackageURL } from 'packageurl-js';
import { debianRelease } from './debian-release.ts';

/** A package to look up in the database, derived from one SBOM component's purl. */
export interface PackageQuery {
  /** OSV base ecosystem (`npm`, `Debian`). */
  ecosystem: string;
  /** The release the component belongs to (`12` for Debian 12), when the SBOM says. */
  release?: string;
  /** Why the release is unknown or how it was read, for the finding. */
  releaseNote?: string;
  /** The component's version. */
  version: string;
  /** Name and version pairs to look up: the package, and for a Debian binary its source package too. */
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
 * Reads a CycloneDX JSON SBOM and turns each component (nested `components` included) into a query.
 * Nothing is silently dropped: package components without a purl or version are listed as
 * unscannable, declared-only dependencies separately, and purls we cannot parse or of an ecosystem
 * we do not scan yet as skipped.
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
  if (typeof document !== 'object' || document === null || (document as Record<string, unknown>)['bomFormat'] !== 'CycloneDX') {
    throw new FactoryError('SCAN_SBOM_INVALID', `SBOM ${file} is not a CycloneDX JSON document (bomFormat must be "CycloneDX")`, {
      subject: 'sbom',
      hint: 'scan reads CycloneDX JSON; convert SPDX documents or generate CycloneDX with generate-sbom',
    });
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
  const query = queryFor(purl, purlVersion, component);
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

/** The query for a parsed purl, or the reason it cannot be scanned. */
function queryFor(purl: PackageURL, version: string, component: CdxComponent): PackageQuery | string {
  if (purl.type === 'npm') {
    // The purl spec lowercases npm names, but the registry (and OSV) keep legacy mixed-case names
    // such as `JSONStream`: take the component's own spelling when it is the same name ignoring case.
    const purlName = purl.namespace ? `${purl.namespace}/${purl.name}` : purl.name;
    const group = text(component.group);
    const ownName = text(component.name);
    const cdxName = ownName === undefined ? undefined : group !== undefined ? `${group}/${ownName}` : ownName;
    const name = cdxName !== undefined && cdxName.toLowerCase() === purlName.toLowerCase() ? cdxName : purlName;
    return { ecosystem: 'npm', version, lookups: [{ name, version }] };
  }
  if (purl.type === 'deb') {
    if (purl.namespace?.toLowerCase() !== 'debian')
      return `unsupported purl type: deb/${purl.namespace ?? ''} (only Debian is scanned so far)`;
    const lookups = [{ name: purl.name, version }];
    // Debian advisories name source packages. The purl's `upstream` qualifier names the binary's
    // source (`name` or `name@version`; the versions differ for binNMUs): look that up too.
    const upstream = purl.qualifiers?.['upstream'];
    if (upstream !== undefined && upstream !== '') {
      const at = upstream.indexOf('@');
      const source = at >= 0 ? upstream.slice(0, at) : upstream;
      const sourceVersion = at >= 0 && upstream.slice(at + 1) !== '' ? upstream.slice(at + 1) : version;
      if (source !== '' && (source !== purl.name || sourceVersion !== version)) lookups.push({ name: source, version: sourceVersion });
    }
    const distro = purl.qualifiers?.['distro'];
    return { ecosystem: 'Debian', version, lookups, ...releaseOf(distro) };
  }
  return `unsupported purl type: ${purl.type}`;
}

function releaseOf(distro: string | undefined): Pick<PackageQuery, 'release' | 'releaseNote'> {
  if (distro === undefined || distro === '') {
    return { releaseNote: 'no distro qualifier in the purl: matched Debian advisories of every release' };
  }
  const release = debianRelease(distro);
  if (release === undefined) {
    return { releaseNote: `distro qualifier '${distro}' names no known Debian release: matched Debian advisories of every release` };
  }
  return { release };
}
