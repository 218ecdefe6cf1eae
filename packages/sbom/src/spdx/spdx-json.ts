import { createHash } from 'node:crypto';
import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import sbomPackage from '../../package.json' with { type: 'json' };
import type { SbomCatalog, SbomComponent, SbomContact } from '../catalog/sbom-component.ts';
import { uuidV5 } from '../cyclonedx/cyclonedx-json.ts';
import { isIdnEmail } from '../cyclonedx/idn-email.ts';
import { combineLicenses, normalizeLicenses } from '../licenses/spdx-license-expression.ts';
import { checkedPurl } from '../purl/package-url.ts';
import {
  SPDX_VERSION,
  type SpdxChecksum,
  type SpdxChecksumAlgorithm,
  type SpdxDocument,
  type SpdxExtractedLicense,
  type SpdxPackage,
  type SpdxPackagePurpose,
  type SpdxRelationship,
} from './spdx-document.ts';
import { validateSpdxDocument } from './spdx-schema.ts';

/**
 * SPDX 2.3 JSON from the neutral catalogue.
 *
 * Choices, each where the specification leaves one open:
 * - Files (components of type 'file', such as the files of a .deb) are SPDX packages with
 *   primaryPackagePurpose FILE, contained by their package through CONTAINS, not SPDX File
 *   elements: a File must carry a SHA1 checksum (§8.4), which the catalogue does not have (dpkg
 *   gives sha256, symlinks have none), and a package listing Files must say filesAnalyzed true and
 *   then carry a packageVerificationCode over the SHA1 of every file (§7.8, §7.9). filesAnalyzed is
 *   therefore false everywhere, which §7.8 allows only for packages that contain no File.
 * - creationInfo.created is required (§6.9), and reproducible output may not read the clock: with
 *   no timestamp given (SOURCE_DATE_EPOCH or an input) it is the Unix epoch, 1970-01-01T00:00:00Z,
 *   an unmistakable "not stated" rather than an invented date.
 * - documentNamespace (§6.5) must be unique per document; it is derived from the content (a UUID v5
 *   of the document's digest), so the same input gives the same bytes and different input a
 *   different namespace.
 * - Several declared licenses are joined with AND (combineLicenses); licenseConcluded is
 *   NOASSERTION: we report what packages declare, we do not conclude.
 */

export interface SpdxOptions {
  /** creationInfo.created; the Unix epoch when undefined (see above). */
  timestamp?: Date;
  /** The document name; defaults to the single input's file name, else "packaging-factory-sbom". */
  name?: string;
  /** Write purls in their purl-spec canonical form instead of as catalogued (see checkedPurl). */
  canonicalPurls?: boolean;
}

const NAMESPACE_BASE = 'https://packaging-factory.dev/spdx/';
const NOASSERTION = 'NOASSERTION';

const CHECKSUMS: Record<string, SpdxChecksumAlgorithm> = { 'SHA-1': 'SHA1', 'SHA-256': 'SHA256', 'SHA-384': 'SHA384', 'SHA-512': 'SHA512' };

const PURPOSES: Record<SbomComponent['type'], SpdxPackagePurpose> = { application: 'APPLICATION', library: 'LIBRARY', file: 'FILE' };

// Judgement: SbomContact does not say whether a name is a person or an organisation; these words
// mark the maintainer fields of teams and companies ("Debian Go Packaging Team", "Acme Inc.").
const ORGANIZATION_WORDS =
  /\b(team|project|foundation|inc|ltd|llc|gmbh|corp|corporation|company|community|developers|maintainers|contributors|group|authors|organi[sz]ation|consortium|association|labs?|systems|technologies)\b/i;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** An SPDX element id (§3.2: `SPDXRef-` then letters, digits, `.` and `-`), readable and unique through a digest of the ref. */
function elementIdFor(component: SbomComponent): string {
  const kind = component.type === 'file' ? 'File' : 'Package';
  const label = (component.type === 'file' ? component.name : `${component.ecosystem}-${fullName(component)}`)
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  const digest = createHash('sha256').update(component.ref, 'utf8').digest('hex').slice(0, 12);
  return `SPDXRef-${kind}-${label}-${digest}`;
}

function fullName(component: SbomComponent): string {
  return component.group === undefined ? component.name : `${component.group}/${component.name}`;
}

/** §7.5 supplier: `Person: name (email)` or `Organization: name (email)`; the email only when it is one. */
function supplierOf(contact: SbomContact): string | undefined {
  const name = contact.name.replace(/\s+/g, ' ').trim();
  if (name === '') return undefined;
  const kind = ORGANIZATION_WORDS.test(name) ? 'Organization' : 'Person';
  const email = contact.email !== undefined && isIdnEmail(contact.email) ? ` (${contact.email})` : '';
  return `${kind}: ${name}${email}`;
}

function checksumsOf(component: SbomComponent): SpdxChecksum[] {
  const checksums: SpdxChecksum[] = [];
  for (const [algorithm, value] of component.hashes) {
    const mapped = CHECKSUMS[algorithm];
    if (mapped !== undefined) checksums.push({ algorithm: mapped, checksumValue: value.toLowerCase() });
  }
  return checksums.sort((a, b) => compare(a.algorithm, b.algorithm));
}

function firstUrl(component: SbomComponent, type: 'website' | 'distribution'): string | undefined {
  return component.externalReferences
    .filter((r) => r.type === type)
    .map((r) => r.url)
    .sort(compare)[0];
}

function licenseDeclaredOf(component: SbomComponent, extracted: Map<string, SpdxExtractedLicense>): string {
  const licenses = normalizeLicenses(component.licenses);
  for (const license of licenses) {
    for (const licenseId of license.licenseRefs) {
      if (extracted.has(licenseId)) continue;
      // §10.2 requires the text behind each LicenseRef: for free text we made one from, the text is
      // what was declared; a LicenseRef the source itself wrote comes without its text.
      extracted.set(
        licenseId,
        license.freeText?.licenseRef === licenseId
          ? { licenseId, extractedText: license.freeText.text, name: license.freeText.text }
          : {
              licenseId,
              extractedText: license.declared,
              name: licenseId.slice('LicenseRef-'.length),
              comment: 'declared as a LicenseRef by the package metadata, without the license text',
            },
      );
    }
  }
  return combineLicenses(licenses) ?? NOASSERTION;
}

function packageFor(
  component: SbomComponent,
  id: string,
  licensing: Map<string, SpdxExtractedLicense>,
  canonicalPurls: boolean,
): SpdxPackage {
  const pkg: SpdxPackage = {
    SPDXID: id,
    name: fullName(component),
    downloadLocation: firstUrl(component, 'distribution') ?? NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: licenseDeclaredOf(component, licensing),
    copyrightText: NOASSERTION,
    primaryPackagePurpose: PURPOSES[component.type],
  };
  if (component.version !== undefined) pkg.versionInfo = component.version;
  const supplier = component.supplier === undefined ? undefined : supplierOf(component.supplier);
  if (supplier !== undefined) pkg.supplier = supplier;
  const checksums = checksumsOf(component);
  if (checksums.length > 0) pkg.checksums = checksums;
  const homepage = firstUrl(component, 'website');
  if (homepage !== undefined) pkg.homepage = homepage;
  const sources = component.properties
    .filter(([name]) => name === 'packaging-factory:source')
    .map(([, value]) => value)
    .sort(compare);
  if (sources.length > 0) pkg.sourceInfo = `found in ${sources.join(', ')}`;
  if (component.description !== undefined && component.description !== '') pkg.description = component.description;
  if (component.purl !== undefined) {
    pkg.externalRefs = [
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: checkedPurl(component.ref, component.purl, canonicalPurls),
      },
    ];
  }
  // Key order is part of the bytes: fixed here, whatever order the fields were set in.
  const ordered: Record<string, unknown> = {};
  for (const key of PACKAGE_KEYS) if (pkg[key] !== undefined) ordered[key] = pkg[key];
  return ordered as unknown as SpdxPackage;
}

const PACKAGE_KEYS: (keyof SpdxPackage)[] = [
  'SPDXID',
  'name',
  'versionInfo',
  'supplier',
  'downloadLocation',
  'filesAnalyzed',
  'checksums',
  'homepage',
  'sourceInfo',
  'licenseConcluded',
  'licenseDeclared',
  'copyrightText',
  'description',
  'externalRefs',
  'primaryPackagePurpose',
];

function documentName(catalog: SbomCatalog, options: SpdxOptions): string {
  if (options.name !== undefined && options.name.trim() !== '') return options.name.trim();
  const [only] = catalog.sources;
  return catalog.sources.length === 1 && only !== undefined ? path.basename(only.file) : 'packaging-factory-sbom';
}

/** §6.9: `YYYY-MM-DDThh:mm:ssZ`, UTC, no fractions. */
function spdxDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function buildDocument(catalog: SbomCatalog, options: SpdxOptions): SpdxDocument {
  const ids = new Map<string, string>();
  const packages = new Map<string, SpdxPackage>();
  const relationships = new Map<string, SpdxRelationship>();
  const extracted = new Map<string, SpdxExtractedLicense>();
  const relate = (from: string, type: SpdxRelationship['relationshipType'], to: string): void => {
    relationships.set(`${from} ${type} ${to}`, { spdxElementId: from, relationshipType: type, relatedSpdxElement: to });
  };

  // Every component once, by ref (the first occurrence wins, as mergeComponents does); children flattened.
  const visit = (component: SbomComponent): string => {
    const known = ids.get(component.ref);
    if (known !== undefined) return known;
    const id = elementIdFor(component);
    if (packages.has(id))
      throw new FactoryError('SBOM_INVALID', `two components map to the SPDX id ${id}`, { hint: 'this is a bug in the SPDX writer' });
    ids.set(component.ref, id);
    packages.set(id, packageFor(component, id, extracted, options.canonicalPurls === true));
    for (const child of component.children) relate(id, 'CONTAINS', visit(child));
    return id;
  };
  for (const component of catalog.components) relate('SPDXRef-DOCUMENT', 'DESCRIBES', visit(component));

  const link = (component: SbomComponent): void => {
    const from = ids.get(component.ref);
    for (const dep of component.dependsOn) {
      const to = ids.get(dep);
      // Only elements of this document: a relation to a ref nobody catalogued has no SPDXID.
      if (from !== undefined && to !== undefined && to !== from) relate(from, 'DEPENDS_ON', to);
    }
    component.children.forEach(link);
  };
  catalog.components.forEach(link);

  const inputs = [...catalog.sources].sort((a, b) => compare(a.file, b.file)).map((s) => `${s.file} (${s.kind}, sha256:${s.sha256})`);
  const document: SpdxDocument = {
    spdxVersion: SPDX_VERSION,
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: documentName(catalog, options),
    documentNamespace: '',
    creationInfo: {
      created: spdxDate(options.timestamp ?? new Date(0)),
      creators: [`Tool: packaging-factory-${sbomPackage.version}`],
      ...(inputs.length > 0 ? { comment: `Catalogued from: ${inputs.join('; ')}` } : {}),
    },
    packages: [...packages.values()].sort((a, b) => compare(a.SPDXID, b.SPDXID)),
    relationships: [...relationships.entries()].sort(([a], [b]) => compare(a, b)).map(([, r]) => r),
  };
  if (extracted.size > 0) document.hasExtractedLicensingInfos = [...extracted.values()].sort((a, b) => compare(a.licenseId, b.licenseId));
  return document;
}

const ELEMENT_ID = /^SPDXRef-[A-Za-z0-9.-]+$/;

/** What the schema cannot say but the specification requires of the ids and licenses we write (§3.2, §10.1). */
function semanticProblems(document: SpdxDocument): string[] {
  const problems: string[] = [];
  const ids = new Set(['SPDXRef-DOCUMENT']);
  for (const pkg of document.packages) {
    if (!ELEMENT_ID.test(pkg.SPDXID)) problems.push(`${pkg.SPDXID} is not an SPDX element id`);
    if (ids.has(pkg.SPDXID)) problems.push(`${pkg.SPDXID} is used twice`);
    ids.add(pkg.SPDXID);
  }
  for (const r of document.relationships) {
    for (const end of [r.spdxElementId, r.relatedSpdxElement])
      if (!ids.has(end)) problems.push(`relationship names ${end}, which is not in the document`);
  }
  const defined = new Set((document.hasExtractedLicensingInfos ?? []).map((l) => l.licenseId));
  for (const pkg of document.packages) {
    for (const ref of pkg.licenseDeclared.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) {
      if (!defined.has(ref)) problems.push(`${pkg.SPDXID} declares ${ref} without hasExtractedLicensingInfos`);
    }
  }
  return problems;
}

function serialize(document: SpdxDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function render(catalog: SbomCatalog, options: SpdxOptions): string {
  const document = buildDocument(catalog, options);
  const digest = createHash('sha256').update(serialize(document)).digest('hex');
  const label = document.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'sbom';
  document.documentNamespace = `${NAMESPACE_BASE}${label}-${uuidV5(`packaging-factory:spdx:sha256:${digest}`)}`;
  const json = serialize(document);
  const problems = [...validateSpdxDocument(JSON.parse(json)), ...semanticProblems(document)];
  if (problems.length > 0) {
    throw new FactoryError('SBOM_INVALID', `the generated SPDX 2.3 document is invalid: ${problems.slice(0, 5).join('; ')}`, {
      hint: 'this is a bug in the SBOM generator; the evidence record holds the details',
    });
  }
  return json;
}

/**
 * Renders the catalogue as an SPDX 2.3 JSON document, byte-identical for the same input, and
 * checks it against the official SPDX 2.3 schema (and the id and LicenseRef rules the schema
 * cannot express) before returning it. A document that fails is SBOM_INVALID; so is a component
 * whose purl the purl specification refuses.
 */
export function renderSpdxJson(catalog: SbomCatalog, options: SpdxOptions = {}): Promise<string> {
  // An executor that throws rejects the promise: errors arrive the way renderCycloneDxJson's do.
  return new Promise((resolve) => resolve(render(catalog, options)));
}
