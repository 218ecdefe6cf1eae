import { createHash } from 'node:crypto';
// Subpath imports: the package index also loads its file-based resources module, which needs
// __dirname (absent in our ESM bundles). Validation is ours, over the same official schemas.
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import * as SPDX from '@cyclonedx/cyclonedx-library/SPDX';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import bomSchema from '../../schema/cyclonedx/bom-1.6.SNAPSHOT.schema.json' with { type: 'json' };
import bom15Schema from '../../schema/cyclonedx/bom-1.5.schema.json' with { type: 'json' };
import spdxSchema from '../../schema/cyclonedx/spdx.SNAPSHOT.schema.json' with { type: 'json' };
import cryptoDefsSchema from '../../schema/cyclonedx/cryptography-defs.SNAPSHOT.schema.json' with { type: 'json' };
import jsfSchema from '../../schema/cyclonedx/jsf-0.82.SNAPSHOT.schema.json' with { type: 'json' };
import cdxLibraryPackage from '@cyclonedx/cyclonedx-library/package.json' with { type: 'json' };
import { FactoryError } from '@packaging-factory/core';
import sbomPackage from '../../package.json' with { type: 'json' };
import type { SbomCatalog, SbomComponent } from '../catalog/sbom-component.ts';
import { combineLicenses, normalizeLicenses } from '../licenses/spdx-license-expression.ts';
import { checkedPurl } from '../purl/package-url.ts';
import { addLinearUniqueItems, withLinearUniqueItems } from '../validate/unique-items.ts';
import { IDN_EMAIL, isIdnEmail } from './idn-email.ts';

/** Name and version of the CycloneDX library, for the evidence record. */
export const CYCLONEDX_LIBRARY = { name: '@cyclonedx/cyclonedx-library', version: cdxLibraryPackage.version };

/** The CycloneDX versions we write and validate: 1.6 by default, 1.5 on request. */
export const CYCLONEDX_SPEC_VERSIONS = ['1.5', '1.6'] as const;
export type CycloneDxSpecVersion = (typeof CYCLONEDX_SPEC_VERSIONS)[number];

export interface CycloneDxOptions {
  /** metadata.timestamp; omitted when undefined (no wall-clock time in reproducible output). */
  timestamp?: Date;
  /** The specification version to write (default 1.6). */
  specVersion?: CycloneDxSpecVersion;
  /** Write purls in their purl-spec canonical form instead of as catalogued (see checkedPurl). */
  canonicalPurls?: boolean;
}

const SPECS = { '1.5': Spec.Spec1dot5, '1.6': Spec.Spec1dot6 } as const satisfies Record<CycloneDxSpecVersion, unknown>;

const HASH_ALGORITHMS: Record<string, Enums.HashAlgorithm> = {
  'SHA-1': Enums.HashAlgorithm['SHA-1'],
  'SHA-256': Enums.HashAlgorithm['SHA-256'],
  'SHA-384': Enums.HashAlgorithm['SHA-384'],
  'SHA-512': Enums.HashAlgorithm['SHA-512'],
};

const COMPONENT_TYPES: Record<SbomComponent['type'], Enums.ComponentType> = {
  application: Enums.ComponentType.Application,
  library: Enums.ComponentType.Library,
  file: Enums.ComponentType.File,
};

const SCOPES: Record<NonNullable<SbomComponent['scope']>, Enums.ComponentScope> = {
  required: Enums.ComponentScope.Required,
  optional: Enums.ComponentScope.Optional,
  excluded: Enums.ComponentScope.Excluded,
};

const REFERENCE_TYPES = {
  website: Enums.ExternalReferenceType.Website,
  distribution: Enums.ExternalReferenceType.Distribution,
  vcs: Enums.ExternalReferenceType.VCS,
} as const;

/**
 * Declared licenses as CycloneDX 1.5 and 1.6 want them (licenseChoice), through the normaliser the
 * SPDX writer shares: one entry per license, by `id` when it is a single id the schema's SPDX
 * enumeration knows, by `name` (the text as declared) when it is free text; but as soon as one of
 * them is a compound expression (`MIT OR Apache-2.0`, `GPL-2.0+`, `... WITH ...`), the whole set
 * becomes one `expression` joined with AND, free text as its LicenseRef, because the schema
 * forbids an expression beside other entries.
 */
function licensesFor(declared: readonly string[]): Models.License[] {
  const licenses = normalizeLicenses(declared);
  const entries = licenses.map((license) => {
    if (license.freeText !== undefined) return new Models.NamedLicense(license.freeText.text);
    return license.id !== undefined && SPDX.isSupportedSpdxId(license.id) ? new Models.SpdxLicense(license.id) : undefined;
  });
  if (entries.every((entry) => entry !== undefined)) return entries;
  const expression = combineLicenses(licenses);
  return expression === undefined ? [] : [new Models.LicenseExpression(expression)];
}

function toModel(component: SbomComponent, refs: Map<string, Models.Component>, options: CycloneDxOptions): Models.Component {
  const model = new Models.Component(COMPONENT_TYPES[component.type], component.name, { bomRef: component.ref });
  if (component.group !== undefined) model.group = component.group;
  if (component.version !== undefined) model.version = component.version;
  if (component.purl !== undefined) model.purl = checkedPurl(component.ref, component.purl, options.canonicalPurls === true);
  if (component.description !== undefined) model.description = component.description;
  if (component.scope !== undefined) model.scope = SCOPES[component.scope];
  for (const [algorithm, content] of component.hashes) {
    const mapped = HASH_ALGORITHMS[algorithm];
    if (mapped !== undefined) model.hashes.set(mapped, content);
  }
  for (const license of licensesFor(component.licenses)) model.licenses.add(license);
  if (component.supplier !== undefined) {
    const contact = new Models.OrganizationalContact({ name: component.supplier.name });
    // An address the schema's idn-email check refuses ('a@localhost') would make the whole SBOM
    // invalid: the catalogers keep such addresses out, and this is the last guard.
    if (component.supplier.email !== undefined && isIdnEmail(component.supplier.email)) contact.email = component.supplier.email;
    const supplier = new Models.OrganizationalEntity({ name: component.supplier.name });
    supplier.contact.add(contact);
    model.supplier = supplier;
  }
  for (const [name, value] of component.properties) model.properties.add(new Models.Property(name, value));
  for (const reference of component.externalReferences) {
    model.externalReferences.add(new Models.ExternalReference(reference.url, REFERENCE_TYPES[reference.type]));
  }
  for (const child of component.children) model.components.add(toModel(child, refs, options));
  refs.set(component.ref, model);
  return model;
}

function linkDependencies(components: readonly SbomComponent[], refs: Map<string, Models.Component>): void {
  for (const component of components) {
    const model = refs.get(component.ref);
    if (model === undefined) continue;
    for (const dep of component.dependsOn) {
      const target = refs.get(dep);
      // Only refs present in this BOM: the library drops dangling ones silently, we do it explicitly.
      if (target !== undefined && target !== model) model.dependencies.add(target.bomRef);
    }
    linkDependencies(component.children, refs);
  }
}

/** RFC 4122 §4.3 name-based UUID (version 5, SHA-1) in the URL namespace. */
export function uuidV5(name: string): string {
  const namespace = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const bytes = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function buildBom(catalog: SbomCatalog, options: CycloneDxOptions): Models.Bom {
  const bom = new Models.Bom();
  if (options.timestamp !== undefined) bom.metadata.timestamp = options.timestamp;
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'packaging-factory', { version: sbomPackage.version }),
  );
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Library, 'cyclonedx-library', { version: CYCLONEDX_LIBRARY.version, group: '@cyclonedx' }),
  );
  for (const source of catalog.sources) {
    bom.metadata.properties.add(new Models.Property('packaging-factory:input', `${source.file} sha256:${source.sha256}`));
  }
  const refs = new Map<string, Models.Component>();
  for (const component of catalog.components) bom.components.add(toModel(component, refs, options));
  linkDependencies(catalog.components, refs);
  return bom;
}

function serialize(bom: Models.Bom, specVersion: CycloneDxSpecVersion): string {
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(SPECS[specVersion]));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}

/**
 * Renders the catalogue as CycloneDX JSON (1.6 unless `specVersion` says 1.5): lists sorted,
 * serialNumber a UUID derived from the content itself (so the same inputs give the same bytes),
 * then validated against that version's official JSON schema before anyone writes it. Invalid
 * output is SBOM_INVALID.
 */
export async function renderCycloneDxJson(catalog: SbomCatalog, options: CycloneDxOptions = {}): Promise<string> {
  const specVersion = options.specVersion ?? '1.6';
  const bom = buildBom(catalog, options);
  const withoutSerial = serialize(bom, specVersion);
  bom.serialNumber = `urn:uuid:${uuidV5(`packaging-factory:sbom:sha256:${createHash('sha256').update(withoutSerial).digest('hex')}`)}`;
  const json = serialize(bom, specVersion);
  const problems = await validateCycloneDxJson(json, specVersion);
  if (problems.length > 0) {
    throw new FactoryError(
      'SBOM_INVALID',
      `the generated CycloneDX ${specVersion} document fails its JSON schema: ${problems.slice(0, 5).join('; ')}`,
      {
        hint: 'this is a bug in the SBOM generator; the evidence record holds the details',
      },
    );
  }
  return json;
}

// ajv-formats is CommonJS with a default export that TypeScript sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const validators = new Map<CycloneDxSpecVersion, ReturnType<Ajv['compile']>>();

// The referenced schemas, by the URI each bom schema's $ref resolves to. The 1.6 copy (from
// @cyclonedx/cyclonedx-library) names them *.SNAPSHOT.schema.json; the 1.5 copy (unchanged from
// the specification repository) names them *.schema.json: both map to the same local files, so
// one SPDX license list decides for both versions.
const REFERENCED_SCHEMAS: Record<CycloneDxSpecVersion, Record<string, object>> = {
  '1.5': {
    'http://cyclonedx.org/schema/spdx.schema.json': spdxSchema,
    'http://cyclonedx.org/schema/jsf-0.82.schema.json': jsfSchema,
  },
  '1.6': {
    'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': spdxSchema,
    'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': cryptoDefsSchema,
    'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': jsfSchema,
  },
};

const BOM_SCHEMAS: Record<CycloneDxSpecVersion, object> = { '1.5': bom15Schema, '1.6': bomSchema };

/**
 * Validates CycloneDX JSON text (1.6 unless told 1.5) against the official schema with ajv,
 * configured as @cyclonedx/cyclonedx-library's own JSON validator does (formats checked, remote
 * schemas refused).
 */
export function validateCycloneDxJson(json: string, specVersion: CycloneDxSpecVersion = '1.6'): Promise<string[]> {
  let validator = validators.get(specVersion);
  if (validator === undefined) {
    const ajv = new Ajv({
      useDefaults: false,
      strict: false,
      strictSchema: false,
      addUsedSchema: false,
      schemas: REFERENCED_SCHEMAS[specVersion],
      loadSchema: (uri) => Promise.reject(new Error(`remote schemas are disabled: ${uri}`)),
    });
    addFormats(ajv);
    ajv.addFormat('idn-email', IDN_EMAIL);
    ajv.addFormat('iri-reference', true);
    // ajv's own uniqueItems is quadratic on arrays of objects (minutes for a few thousand components).
    addLinearUniqueItems(ajv);
    validator = ajv.compile(withLinearUniqueItems(BOM_SCHEMAS[specVersion]));
    validators.set(specVersion, validator);
  }
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    return Promise.resolve([`not JSON: ${(error as Error).message}`]);
  }
  if (validator(document)) return Promise.resolve([]);
  return Promise.resolve(
    (validator.errors ?? []).map((e) => `${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? 'is invalid'}`),
  );
}
