import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parseDocument } from 'yaml';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { FactoryError } from '@packaging-factory/core';
import { isPemText, keyFingerprint, parsePublicKey } from '@packaging-factory/signing';
import policySchema from '../../schema/scan-policy.schema.json' with { type: 'json' };

/** A reviewer who signs with a key: the bundle must verify with exactly this public key. */
export interface KeyReviewer {
  kind: 'key';
  name?: string;
  publicKey: KeyObject;
  /** sha256 over the DER SubjectPublicKeyInfo, hex (the signing package's fingerprint). */
  fingerprint: string;
}

/** A reviewer who signs keyless: the Fulcio certificate must name this SAN and OIDC issuer. */
export interface KeylessReviewer {
  kind: 'keyless';
  name?: string;
  identity: string;
  issuer: string;
}

export type SecurityReviewer = KeyReviewer | KeylessReviewer;

/**
 * The scan policy: who may approve exceptions and VEX documents. YAML, for example:
 *
 * ```yaml
 * version: 1
 * trusted-root: sigstore/trusted_root.json   # for keyless reviewers; relative to this file
 * security-reviewers:
 *   - name: Security team key
 *     public-key: keys/security.pub          # PEM inline, or a path relative to this file
 *   - identity: alice@example.com             # certificate SAN (email or URI)
 *     issuer: https://accounts.google.com     # OIDC issuer
 * ```
 */
export interface SecurityPolicy {
  file: string;
  reviewers: SecurityReviewer[];
  /** The parsed Sigstore trusted root, when the policy or the caller names one. */
  trustedRoot?: TrustedRoot;
  trustedRootPath?: string;
}

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  // strictRequired off: the oneOf branches name properties the other branch defines, on purpose.
  validator ??= new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(policySchema);
  return validator;
}

interface RawReviewer {
  name?: string;
  'public-key'?: string;
  identity?: string;
  issuer?: string;
}

/**
 * Reads the policy file. Every problem is SCAN_POLICY_INVALID naming the reviewer and field: a
 * policy that cannot be read approves nothing, so the scan must not go on as if it had.
 * `trustedRootOverride` (absolute) replaces the policy's own `trusted-root`.
 */
export async function loadSecurityPolicy(file: string, trustedRootOverride?: string): Promise<SecurityPolicy> {
  const text = await readText(file, 'scan policy');
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw invalid(file, `is not valid YAML: ${document.errors[0]!.message}`);
  }
  const data: unknown = document.toJS();
  const validate = compiled();
  if (!validate(data)) {
    const problems = (validate.errors ?? [])
      .filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'not')
      .map((e) => `${pointerName(e.instancePath)}: ${e.message ?? 'is invalid'}`);
    const oneOf = (validate.errors ?? []).find((e) => e.keyword === 'oneOf');
    if (oneOf !== undefined)
      problems.push(`${pointerName(oneOf.instancePath)}: give either public-key, or identity and issuer (keyless), not both`);
    throw invalid(file, `does not follow the policy format: ${[...new Set(problems)].join('; ')}`);
  }
  const raw = data as { 'trusted-root'?: string; 'security-reviewers': RawReviewer[] };
  const base = path.dirname(file);
  const reviewers = await Promise.all(
    raw['security-reviewers'].map(async (reviewer, index): Promise<SecurityReviewer> => {
      const where = `security-reviewers[${index}]`;
      if (reviewer['public-key'] !== undefined) {
        const value = reviewer['public-key'];
        const pem = isPemText(value) ? value : await readText(path.resolve(base, value), `${where}.public-key`);
        const publicKey = parsePublicKey(pem, `${file}: ${where}.public-key`, 'SCAN_POLICY_INVALID');
        const key: KeyReviewer = { kind: 'key', publicKey, fingerprint: keyFingerprint(publicKey) };
        if (reviewer.name !== undefined) key.name = reviewer.name;
        return key;
      }
      const keyless: KeylessReviewer = { kind: 'keyless', identity: reviewer.identity!, issuer: reviewer.issuer! };
      if (reviewer.name !== undefined) keyless.name = reviewer.name;
      return keyless;
    }),
  );
  const policy: SecurityPolicy = { file, reviewers };
  const rootPath = trustedRootOverride ?? (raw['trusted-root'] !== undefined ? path.resolve(base, raw['trusted-root']) : undefined);
  if (rootPath !== undefined) {
    policy.trustedRoot = await loadTrustedRoot(rootPath);
    policy.trustedRootPath = rootPath;
  }
  return policy;
}

/** Reads a Sigstore trusted root JSON (protobuf-specs TrustedRoot, `application/vnd.dev.sigstore.trustedroot+json`). */
export async function loadTrustedRoot(file: string): Promise<TrustedRoot> {
  const text = await readText(file, 'trusted root');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FactoryError('SCAN_POLICY_INVALID', `trusted root ${file} is not JSON`, { cause: error, subject: file });
  }
  const mediaType = (json as { mediaType?: unknown } | null)?.mediaType;
  if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new FactoryError('SCAN_POLICY_INVALID', `trusted root ${file} has no Sigstore trusted root mediaType`, {
      subject: file,
      hint: "use the trusted_root.json of your Sigstore instance (for the public good instance: 'cosign trusted-root create' or the TUF target)",
    });
  }
  try {
    return TrustedRoot.fromJSON(json);
  } catch (error) {
    throw new FactoryError('SCAN_POLICY_INVALID', `trusted root ${file} cannot be read`, { cause: error, subject: file });
  }
}

/** How a reviewer is named in reports: the label, else the key fingerprint or identity and issuer. */
export function describeReviewer(reviewer: SecurityReviewer): string {
  const label = reviewer.name !== undefined ? `${reviewer.name}: ` : '';
  return reviewer.kind === 'key'
    ? `${label}key ${reviewer.fingerprint.slice(0, 16)}…`
    : `${label}${reviewer.identity} (issuer ${reviewer.issuer})`;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new FactoryError('SCAN_POLICY_INVALID', `${what} ${file} cannot be read`, {
      cause: error,
      subject: file,
      hint: 'check the path; paths inside the policy are relative to the policy file',
    });
  }
}

function invalid(file: string, message: string): FactoryError {
  return new FactoryError('SCAN_POLICY_INVALID', `scan policy ${file} ${message}`, {
    subject: file,
    hint: 'see docs/policy.md for the policy format',
  });
}

function pointerName(pointer: string): string {
  if (pointer === '') return 'top level';
  return pointer
    .replace(/^\//, '')
    .replace(/\/(\d+)/g, '[$1]')
    .replace(/\//g, '.');
}
