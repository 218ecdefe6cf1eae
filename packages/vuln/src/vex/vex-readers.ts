import { FactoryError } from '@packaging-factory/core';
import { validateOpenVex } from './openvex-schema.ts';
import type { VexStatement, VexStatus } from './vex-statement.ts';

export type VexFormat = 'openvex' | 'cyclonedx';

/** A VEX document's statements, whatever the format. */
export interface ParsedVex {
  format: VexFormat;
  statements: VexStatement[];
  /** Statements that name no package URL the scan could match (kept for the report). */
  warnings: string[];
}

/** Reads an OpenVEX or CycloneDX VEX document from its JSON text; anything else is SCAN_VEX_INVALID. */
export function parseVexDocument(text: string, subject: string): ParsedVex {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new FactoryError('SCAN_VEX_INVALID', `VEX document ${subject} is not JSON`, { cause: error, subject });
  }
  const object = typeof document === 'object' && document !== null ? (document as Record<string, unknown>) : {};
  const context = object['@context'];
  if (typeof context === 'string' && context.startsWith('https://openvex.dev/ns')) return readOpenVex(object, subject);
  if (object['bomFormat'] === 'CycloneDX') return readCycloneDxVex(object, subject);
  throw new FactoryError('SCAN_VEX_INVALID', `${subject} is neither an OpenVEX document nor a CycloneDX BOM`, {
    subject,
    hint: 'pass an OpenVEX v0.2.0 JSON document (@context https://openvex.dev/ns/v0.2.0) or a CycloneDX JSON BOM with vulnerabilities[].analysis',
  });
}

interface OpenVexComponent {
  '@id'?: string;
  identifiers?: { purl?: string };
  subcomponents?: OpenVexComponent[];
}

interface OpenVexStatementJson {
  vulnerability: { name: string; aliases?: string[] };
  products?: OpenVexComponent[];
  status: VexStatus;
  justification?: string;
  impact_statement?: string;
  timestamp?: string;
}

/**
 * OpenVEX v0.2.0 (https://github.com/openvex/spec, OPENVEX-SPEC.md): the document must validate
 * against the v0.2.0 JSON Schema. A product (or subcomponent) names a package by a purl in its
 * `@id` or `identifiers.purl`; statements inherit the document timestamp ("Inheritance Flow").
 */
function readOpenVex(document: Record<string, unknown>, subject: string): ParsedVex {
  const problems = validateOpenVex(document);
  if (problems.length > 0) {
    throw new FactoryError(
      'SCAN_VEX_INVALID',
      `OpenVEX document ${subject} does not follow the v0.2.0 schema: ${problems.slice(0, 10).join('; ')}`,
      {
        subject,
        hint: 'check it with vexctl, or write it as the OpenVEX v0.2.0 specification shows',
      },
    );
  }
  const documentTime = document['timestamp'] as string;
  const warnings: string[] = [];
  const statements = (document['statements'] as OpenVexStatementJson[]).map((raw, index): VexStatement => {
    const purls = new Set<string>();
    for (const product of raw.products ?? []) {
      for (const component of [product, ...(product.subcomponents ?? [])]) {
        for (const id of [component['@id'], component.identifiers?.purl]) if (id?.startsWith('pkg:') === true) purls.add(id);
      }
    }
    if (purls.size === 0) warnings.push(`statements[${index}] (${raw.vulnerability.name}) names no package URL, so it matches no finding`);
    const statement: VexStatement = {
      vulnerability: raw.vulnerability.name,
      aliases: [...(raw.vulnerability.aliases ?? [])],
      purls: [...purls].sort(),
      status: raw.status,
      timestamp: raw.timestamp ?? documentTime,
      index,
    };
    if (raw.justification !== undefined) statement.justification = raw.justification;
    if (raw.impact_statement !== undefined) statement.detail = raw.impact_statement;
    return statement;
  });
  return { format: 'openvex', statements, warnings };
}

/**
 * CycloneDX analysis states (CycloneDX 1.4+ `vulnerability.analysis.state`) in VEX terms:
 * resolved and resolved_with_pedigree are fixed; not_affected and false_positive mean the finding
 * does not apply; exploitable is affected; in_triage is under investigation.
 */
const CYCLONEDX_STATES: Readonly<Record<string, VexStatus>> = {
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

/**
 * CycloneDX VEX: a BOM whose `vulnerabilities[]` carry `analysis.state`. Checked structurally
 * (the fields read must have the shapes the CycloneDX 1.4-1.6 schema gives them) rather than against
 * the whole BOM schema: a VEX BOM often omits the components it talks about. `affects[].ref` is a
 * bom-ref of this BOM's components, a purl, or a BOM-Link (`urn:cdx:serial/version#bom-ref`).
 */
function readCycloneDxVex(document: Record<string, unknown>, subject: string): ParsedVex {
  const fail = (message: string): FactoryError =>
    new FactoryError('SCAN_VEX_INVALID', `CycloneDX VEX ${subject}: ${message}`, {
      subject,
      hint: 'each vulnerabilities[] entry needs an id, analysis.state and affects[].ref (CycloneDX 1.4 or later)',
    });
  const vulnerabilities = document['vulnerabilities'];
  if (!Array.isArray(vulnerabilities) || vulnerabilities.length === 0) throw fail('no vulnerabilities[] list: there is nothing to apply');
  const refs = new Map<string, string>();
  const visit = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const c of list as Record<string, unknown>[]) {
      if (typeof c?.['bom-ref'] === 'string' && typeof c['purl'] === 'string') refs.set(c['bom-ref'], c['purl']);
      visit(c?.['components']);
    }
  };
  const metadata = document['metadata'] as Record<string, unknown> | undefined;
  visit(metadata?.['component'] !== undefined ? [metadata['component']] : []);
  visit(document['components']);
  const documentTime = typeof metadata?.['timestamp'] === 'string' ? metadata['timestamp'] : undefined;
  const warnings: string[] = [];
  const statements = (vulnerabilities as unknown[]).map((raw, index): VexStatement => {
    const v = raw as Record<string, unknown>;
    const where = `vulnerabilities[${index}]`;
    if (typeof v?.['id'] !== 'string' || v['id'] === '') throw fail(`${where}.id is missing`);
    const analysis = v['analysis'] as Record<string, unknown> | undefined;
    const state = analysis?.['state'];
    if (typeof state !== 'string') throw fail(`${where}.analysis.state is missing (without it the entry is not a VEX statement)`);
    const status = CYCLONEDX_STATES[state];
    if (status === undefined) throw fail(`${where}.analysis.state '${state}' is not a CycloneDX analysis state`);
    const affects = v['affects'];
    if (!Array.isArray(affects)) throw fail(`${where}.affects must be a list`);
    const purls = new Set<string>();
    for (const affected of affects as Record<string, unknown>[]) {
      const ref = affected?.['ref'];
      if (typeof ref !== 'string') throw fail(`${where}.affects[].ref must be a string`);
      const purl = ref.startsWith('pkg:') ? ref : refs.get(ref.startsWith('urn:cdx:') ? ref.slice(ref.indexOf('#') + 1) : ref);
      if (purl !== undefined) purls.add(purl);
      else warnings.push(`${where} (${v['id']}): affects ref '${ref}' names no component with a purl in this BOM`);
    }
    const references = Array.isArray(v['references']) ? (v['references'] as Record<string, unknown>[]) : [];
    const statement: VexStatement = {
      vulnerability: v['id'],
      aliases: references.map((r) => r?.['id']).filter((id): id is string => typeof id === 'string'),
      purls: [...purls].sort(),
      status,
      index,
    };
    const timestamp = typeof v['updated'] === 'string' ? v['updated'] : typeof v['published'] === 'string' ? v['published'] : documentTime;
    if (timestamp !== undefined) statement.timestamp = timestamp;
    if (typeof analysis?.['justification'] === 'string') statement.justification = analysis['justification'];
    if (typeof analysis?.['detail'] === 'string') statement.detail = analysis['detail'];
    return statement;
  });
  return { format: 'cyclonedx', statements, warnings };
}
