/**
 * Debian package relationship fields (Depends, Pre-Depends, Recommends, ...), Debian Policy §7.1:
 * a comma-separated list of requirements, each a '|'-separated list of alternatives, each
 * `name[:archqual] [(op version)] [[arch ...]] [<profile ...> ...]`.
 */

export type DebRelationOperator = '<<' | '<=' | '=' | '>=' | '>>';

export interface DebRelation {
  name: string;
  /** Multi-Arch qualifier after ':' (`any`, `native`, or an architecture). */
  archQualifier?: string;
  version?: { operator: DebRelationOperator; version: string };
  /** Architecture restriction list, as written (`amd64`, `!i386`, `linux-any`). */
  architectures?: string[];
  /** Build-profile restriction formulas, one per '<...>' group. */
  profiles?: string[][];
}

/** One requirement: satisfied by any of its alternatives. */
export type DebRelationGroup = DebRelation[];

export class DebRelationSyntaxError extends Error {
  override readonly name = 'DebRelationSyntaxError';
}

// Policy §5.6.1: package names are lower-case letters, digits, '+', '-', '.', at least two
// characters, starting with an alphanumeric. Relationship fields may also name virtual packages,
// which follow the same rule.
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const ARCH_QUALIFIER = /^[a-z0-9][a-z0-9-]*$/;
const RELATION = /^([^\s:([<]+)(?::(\S+?))?\s*(?:\(\s*([<>=]+)\s*([^\s)]+)\s*\))?\s*(?:\[([^\]]*)\])?\s*((?:<[^>]*>\s*)*)$/;

// Policy §7.1: '<' and '>' are obsolete spellings of '<=' and '>='; dpkg still accepts them.
const OPERATORS: Record<string, DebRelationOperator> = { '<<': '<<', '<=': '<=', '=': '=', '>=': '>=', '>>': '>>', '<': '<=', '>': '>=' };

/** Parses one alternative, e.g. `libc6 (>= 2.34)` or `python3:any`. */
export function parseDebRelation(text: string): DebRelation {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  const match = RELATION.exec(trimmed);
  if (match === null) throw new DebRelationSyntaxError(`cannot parse relation '${text.trim()}'`);
  const [, name = '', archQualifier, operator, version, architectures, profiles] = match;
  if (!PACKAGE_NAME.test(name)) throw new DebRelationSyntaxError(`invalid package name '${name}' in relation '${trimmed}'`);
  const relation: DebRelation = { name };
  if (archQualifier !== undefined) {
    if (!ARCH_QUALIFIER.test(archQualifier)) throw new DebRelationSyntaxError(`invalid architecture qualifier in '${trimmed}'`);
    relation.archQualifier = archQualifier;
  }
  if (operator !== undefined && version !== undefined) {
    const canonical = OPERATORS[operator];
    if (canonical === undefined) throw new DebRelationSyntaxError(`invalid version operator '${operator}' in '${trimmed}'`);
    relation.version = { operator: canonical, version };
  }
  if (architectures !== undefined) {
    const list = architectures.trim().split(/\s+/).filter(Boolean);
    if (list.length === 0) throw new DebRelationSyntaxError(`empty architecture list in '${trimmed}'`);
    relation.architectures = list;
  }
  if (profiles !== undefined && profiles.trim() !== '') {
    relation.profiles = [...profiles.matchAll(/<([^>]*)>/g)].map((m) => (m[1] ?? '').trim().split(/\s+/).filter(Boolean));
  }
  return relation;
}

/** Parses a whole relationship field into requirements (AND) of alternatives (OR). Empty → []. */
export function parseDebRelations(field: string | undefined): DebRelationGroup[] {
  if (field === undefined) return [];
  const text = field.replace(/\n/g, ' ').trim();
  if (text === '') return [];
  return text.split(',').map((group, index) => {
    if (group.trim() === '') throw new DebRelationSyntaxError(`empty requirement at position ${index + 1} in '${text}'`);
    return group.split('|').map(parseDebRelation);
  });
}

/** Renders a relation back in Policy syntax, canonical operators, single spaces. */
export function formatDebRelation(relation: DebRelation): string {
  let out = relation.name;
  if (relation.archQualifier !== undefined) out += `:${relation.archQualifier}`;
  if (relation.version !== undefined) out += ` (${relation.version.operator} ${relation.version.version})`;
  if (relation.architectures !== undefined) out += ` [${relation.architectures.join(' ')}]`;
  for (const profile of relation.profiles ?? []) out += ` <${profile.join(' ')}>`;
  return out;
}

export function formatDebRelations(groups: readonly DebRelationGroup[]): string {
  return groups.map((group) => group.map(formatDebRelation).join(' | ')).join(', ');
}
