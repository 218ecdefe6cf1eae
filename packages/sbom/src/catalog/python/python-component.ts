import {
  isLicenseClassifier,
  normalizePythonName,
  spdxFromTroveClassifier,
  type CoreMetadata,
  type Pep508Requirement,
  type RecordEntry,
} from '@packaging-factory/formats';
import { isIdnEmail } from '../../cyclonedx/idn-email.ts';
import { formatPurl } from '../../purl/package-url.ts';
import { compareRefs, newComponent, sortProperties, type SbomComponent, type SbomContact } from '../sbom-component.ts';

/**
 * Python distributions as SBOM components. The purl follows the pypi type definition
 * (purl-spec types/pypi-definition.json) with the project name in its PEP 503 normal form
 * (lower case, runs of '-', '_', '.' as one '-': what pip and PyPI compare on, and what
 * vulnerability databases key PyPI advisories on).
 */

/** `pkg:pypi/<normalised name>[@version][?file_name=...]`, percent-encoded as the purl-spec suite writes it ('1.0+local' → '1.0%2Blocal'). */
export function pythonPurl(name: string, version?: string, fileName?: string): string {
  return formatPurl({
    type: 'pypi',
    name: normalizePythonName(name),
    ...(version === undefined || version === '' ? {} : { version }),
    ...(fileName === undefined ? {} : { qualifiers: { file_name: fileName } }),
  });
}

/** The first address of an Author-email / Maintainer-email value ('a@b', 'Name <a@b>', '"N" <a@b>, Other <c@d>'). */
function firstContact(value: string | undefined): { name?: string; email?: string } {
  if (value === undefined) return {};
  const first = value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[0]?.trim() ?? '';
  const angled = /^(.*?)\s*<([^<>]+)>$/.exec(first);
  const name = angled?.[1]?.trim().replace(/^"(.*)"$/, '$1');
  const email = (angled?.[2] ?? first).trim();
  const contact: { name?: string; email?: string } = {};
  if (name !== undefined && name !== '') contact.name = name;
  if (isIdnEmail(email)) contact.email = email;
  return contact;
}

/** Supplier from Maintainer (who publishes this release) or else Author, each with its email field. */
export function pythonSupplier(metadata: CoreMetadata): SbomContact | undefined {
  const pairs: [string | undefined, string | undefined][] = [
    [metadata.maintainer, metadata.maintainerEmail],
    [metadata.author, metadata.authorEmail],
  ];
  for (const [person, emailField] of pairs) {
    if (person === undefined && emailField === undefined) continue;
    const fromEmail = firstContact(emailField);
    const name = person ?? fromEmail.name ?? fromEmail.email;
    if (name === undefined) continue;
    const contact: SbomContact = { name };
    if (fromEmail.email !== undefined) contact.email = fromEmail.email;
    return contact;
  }
  return undefined;
}

/**
 * Declared licenses, most precise first: License-Expression (an SPDX expression, metadata 2.4);
 * else the License field when it is a name (old packages put the whole license text there: many
 * lines say nothing a name would); else the SPDX ids of license classifiers naming one license.
 */
export function pythonLicenses(metadata: CoreMetadata): string[] {
  if (metadata.licenseExpression !== undefined) return [metadata.licenseExpression];
  const license = metadata.license;
  if (license !== undefined && !license.includes('\n') && license.length <= 120) return [license];
  return [...new Set(metadata.classifiers.flatMap((c) => spdxFromTroveClassifier(c) ?? []))].sort();
}

const VCS_LABELS = new Set(['source', 'sourcecode', 'repository', 'code', 'github', 'gitlab', 'git']);
const WEBSITE_LABELS = new Set(['homepage', 'home', 'website']);

function externalReferences(metadata: CoreMetadata): SbomComponent['externalReferences'] {
  const refs: SbomComponent['externalReferences'] = [];
  const add = (type: SbomComponent['externalReferences'][number]['type'], url: string): void => {
    if (/^https?:\/\//i.test(url) && !refs.some((r) => r.type === type && r.url === url)) refs.push({ type, url });
  };
  if (metadata.homePage !== undefined) add('website', metadata.homePage);
  if (metadata.downloadUrl !== undefined) add('distribution', metadata.downloadUrl);
  for (const { label, url } of metadata.projectUrls) {
    // Project-URL labels are free text; the packaging guide's well-known labels normalise like this.
    const key = label.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (VCS_LABELS.has(key)) add('vcs', url);
    else if (WEBSITE_LABELS.has(key)) add('website', url);
    else if (key === 'download') add('distribution', url);
  }
  return refs;
}

export interface PythonComponentOptions {
  /** `packaging-factory:source` value. */
  source: string;
  /** file_name purl qualifier, for a component that is a distribution file. */
  fileName?: string;
  /** sha256 hex of the distribution file. */
  sha256?: string;
  /** Resolves a Requires-Dist entry to the ref of a component catalogued from the same input. */
  resolve?: (requirement: Pep508Requirement) => string | undefined;
  /** RECORD rows: become file children with their sha256. */
  record?: readonly RecordEntry[];
}

/** A component for one distribution's core metadata. */
export function pythonComponent(metadata: CoreMetadata, options: PythonComponentOptions): SbomComponent {
  const ref = pythonPurl(metadata.name, metadata.version, options.fileName);
  const component = newComponent({
    ref,
    type: 'library',
    ecosystem: 'pypi',
    name: normalizePythonName(metadata.name),
    version: metadata.version,
    purl: ref,
    scope: 'required',
  });
  if (metadata.summary !== undefined) component.description = metadata.summary;
  component.licenses = pythonLicenses(metadata);
  const supplier = pythonSupplier(metadata);
  if (supplier !== undefined) component.supplier = supplier;
  if (options.sha256 !== undefined) component.hashes.set('SHA-256', options.sha256);
  component.externalReferences = externalReferences(metadata);

  const props: [string, string][] = [['packaging-factory:source', options.source]];
  const add = (field: string, value: string | undefined): void => {
    if (value !== undefined) props.push([`packaging-factory:pypi:${field}`, value]);
  };
  // The name as the distribution spells it (the purl and `name` carry the normal form).
  if (metadata.name !== component.name) add('Name', metadata.name);
  add('Metadata-Version', metadata.metadataVersion);
  add('Author', metadata.author);
  add('Author-email', metadata.authorEmail);
  add('Maintainer', metadata.maintainer);
  add('Maintainer-email', metadata.maintainerEmail);
  add('Requires-Python', metadata.requiresPython);
  for (const classifier of metadata.classifiers.filter(isLicenseClassifier)) add('Classifier', classifier);
  for (const file of metadata.licenseFiles) add('License-File', file);
  for (const extra of metadata.providesExtra) add('Provides-Extra', extra);
  // Every stated dependency is kept as written; those catalogued from the same input are also linked.
  for (const raw of metadata.requiresDistRaw) add('Requires-Dist', raw);
  for (const requirement of metadata.requiresDist) {
    // `extra == "x"`: needed only when the extra is asked for, so no dependency of the package itself.
    if (requirement.markerExtras.length > 0) continue;
    const target = options.resolve?.(requirement);
    if (target !== undefined && target !== ref) component.dependsOn.add(target);
  }
  component.properties = props;
  if (options.record !== undefined) component.children = recordChildren(ref, options.record);
  return component;
}

/** The files a RECORD lists, as file components with their sha256 (rows hashed otherwise keep no hash). */
export function recordChildren(ownerRef: string, record: readonly RecordEntry[]): SbomComponent[] {
  const owner = ownerRef.replace(/^pkg:/, '').replace(/\?.*$/, '');
  const seen = new Set<string>();
  const children: SbomComponent[] = [];
  for (const entry of record) {
    if (seen.has(entry.path)) continue;
    seen.add(entry.path);
    const child = newComponent({ ref: `file:${owner}:${entry.path}`, type: 'file', ecosystem: 'file', name: entry.path });
    if (entry.algorithm === 'sha256' && entry.digestHex !== undefined) child.hashes.set('SHA-256', entry.digestHex);
    children.push(child);
  }
  return children.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

/** Sorts properties by name then value (the catalogers' determinism rule). */
export function sortPythonProperties(component: SbomComponent): void {
  sortProperties(component.properties);
}

/** Sorts components by ref. */
export function byPythonRef(a: SbomComponent, b: SbomComponent): number {
  return compareRefs(a, b);
}
