import { createHash } from 'node:crypto';
import parseSpdxExpression from 'spdx-expression-parse';
import licenseIds from 'spdx-license-ids/index.json' with { type: 'json' };
import deprecatedLicenseIds from 'spdx-license-ids/deprecated.json' with { type: 'json' };
import exceptionIds from 'spdx-exceptions/index.json' with { type: 'json' };
import { LICENSE_ALIASES, aliasKey } from './license-aliases.ts';

/**
 * One normaliser for declared licenses, shared by the SPDX and CycloneDX writers.
 *
 * SPDX 2.3 Annex D defines the expression grammar; spdx-expression-parse (the parser npm itself
 * uses to check package.json `license`) checks it against the SPDX License List as packaged in
 * spdx-license-ids and spdx-exceptions. We add what the parser leaves to its callers: case
 * (`mit` → `MIT`, `apache-2.0 or mit` → `Apache-2.0 OR MIT`), unambiguous aliases
 * (license-aliases.ts) and, for anything else, a `LicenseRef-` standing for the free text.
 */

export interface NormalizedLicense {
  /** The declaration as the source gave it, trimmed. */
  declared: string;
  /** A valid SPDX license expression; free text appears as its LicenseRef. */
  expression: string;
  /** The SPDX License List id when the expression is exactly one id (no `+`, no WITH). */
  id?: string;
  /** Set when the declaration is not an SPDX expression: the LicenseRef made for the text. */
  freeText?: { licenseRef: string; text: string };
  /** Every `LicenseRef-` the expression uses, sorted. */
  licenseRefs: string[];
}

type Node = parseSpdxExpression.Info;

const byLowerCase = (ids: readonly string[]): Map<string, string> => new Map(ids.map((id) => [id.toLowerCase(), id]));
const LICENSES = byLowerCase([...licenseIds, ...deprecatedLicenseIds]);
const EXCEPTIONS = byLowerCase(exceptionIds);

// Annex D: idstring = 1*(ALPHA / DIGIT / "-" / ".").
const NOT_IDSTRING = /[^A-Za-z0-9.-]+/g;

/** Renders a parsed expression with upper-case operators and only the parentheses precedence needs (AND binds tighter than OR). */
function render(node: Node, parent?: 'and' | 'or'): string {
  if ('license' in node) {
    return `${node.license}${node.plus === true ? '+' : ''}${node.exception === undefined ? '' : ` WITH ${node.exception}`}`;
  }
  const text = `${render(node.left, node.conjunction)} ${node.conjunction.toUpperCase()} ${render(node.right, node.conjunction)}`;
  return parent === 'and' && node.conjunction === 'or' ? `(${text})` : text;
}

function leaves(node: Node): parseSpdxExpression.LicenseInfo[] {
  return 'license' in node ? [node] : [...leaves(node.left), ...leaves(node.right)];
}

function tryParse(text: string): Node | undefined {
  try {
    const node = parseSpdxExpression(text);
    // A DocumentRef points into another SPDX document we cannot name in ours (externalDocumentRefs).
    return leaves(node).some((leaf) => leaf.license.startsWith('DocumentRef-')) ? undefined : node;
  } catch {
    return undefined;
  }
}

/** Fixes the case of every id, exception and operator, and maps one-word aliases (`GPLv2+`). */
function fixTokens(text: string): string {
  const tokens = text.match(/[()]|[^\s()]+/g) ?? [];
  let afterWith = false;
  return tokens
    .map((token) => {
      const lower = token.toLowerCase();
      if (lower === 'and' || lower === 'or' || lower === 'with') {
        afterWith = lower === 'with';
        return token.toUpperCase();
      }
      if (token === '(' || token === ')') return token;
      const wasAfterWith = afterWith;
      afterWith = false;
      if (wasAfterWith) return EXCEPTIONS.get(lower) ?? token;
      if (/^licenseref-/i.test(token)) return `LicenseRef-${token.slice('LicenseRef-'.length)}`;
      const exact = LICENSES.get(lower);
      if (exact !== undefined) return exact;
      const plus = lower.endsWith('+') ? LICENSES.get(lower.slice(0, -1)) : undefined;
      if (plus !== undefined) return `${plus}+`;
      const alias = LICENSE_ALIASES[aliasKey(token)];
      return alias !== undefined && tryParse(alias) !== undefined ? `(${alias})` : token;
    })
    .join(' ');
}

/** A LicenseRef for free text: the text itself when it is already an idstring, else what is left of it plus a digest, so two texts never share one. */
export function licenseRefFor(text: string): string {
  if (/^[A-Za-z0-9.-]+$/.test(text)) return `LicenseRef-${text}`;
  const digest = createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
  const kept = text.replace(NOT_IDSTRING, '-').replace(/^-+|-+$/g, '');
  return `LicenseRef-${kept === '' ? '' : `${kept}-`}${digest}`;
}

function fromNode(declared: string, node: Node): NormalizedLicense {
  const expression = render(node);
  const refs = [
    ...new Set(
      leaves(node)
        .map((l) => l.license)
        .filter((l) => l.startsWith('LicenseRef-')),
    ),
  ].sort();
  const result: NormalizedLicense = { declared, expression, licenseRefs: refs };
  if ('license' in node && node.plus !== true && node.exception === undefined && !node.license.startsWith('LicenseRef-')) {
    result.id = node.license;
  }
  return result;
}

/**
 * A declared license as a valid SPDX expression: as written when it already is one; with ids,
 * exceptions and operators in their SPDX case; through an unambiguous alias; otherwise as a
 * LicenseRef for the free text. Undefined for a blank declaration or NOASSERTION (nothing said).
 */
export function normalizeLicense(declaration: string): NormalizedLicense | undefined {
  const declared = declaration.trim().replace(/\s+/g, ' ');
  if (declared === '' || declared.toUpperCase() === 'NOASSERTION') return undefined;
  const asWritten = tryParse(declared);
  if (asWritten !== undefined) return fromNode(declared, asWritten);
  const alias = LICENSE_ALIASES[aliasKey(declared)];
  const aliased = alias === undefined ? undefined : tryParse(alias);
  if (aliased !== undefined) return fromNode(declared, aliased);
  const fixed = tryParse(fixTokens(declared));
  if (fixed !== undefined) return fromNode(declared, fixed);
  const licenseRef = licenseRefFor(declared);
  return { declared, expression: licenseRef, freeText: { licenseRef, text: declared }, licenseRefs: [licenseRef] };
}

/** Normalises each declaration, dropping blanks and duplicate expressions; sorted by expression. */
export function normalizeLicenses(declarations: readonly string[]): NormalizedLicense[] {
  const byExpression = new Map<string, NormalizedLicense>();
  for (const declaration of declarations) {
    const license = normalizeLicense(declaration);
    if (license !== undefined && !byExpression.has(license.expression)) byExpression.set(license.expression, license);
  }
  return [...byExpression.values()].sort((a, b) => (a.expression < b.expression ? -1 : a.expression > b.expression ? 1 : 0));
}

/**
 * Several declarations as one expression. They are joined with AND: a package whose metadata
 * names two licenses ships material under both (as syft and Debian copyright files read it);
 * a choice is only a choice when the source wrote OR. Undefined when nothing was declared.
 */
export function combineLicenses(licenses: readonly NormalizedLicense[]): string | undefined {
  if (licenses.length === 0) return undefined;
  const node = tryParse(licenses.map((l) => `(${l.expression})`).join(' AND '));
  // Each part is valid on its own, so the conjunction is too; render it canonically.
  return node === undefined ? licenses.map((l) => `(${l.expression})`).join(' AND ') : render(node);
}
