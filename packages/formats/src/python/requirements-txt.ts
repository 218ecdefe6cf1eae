import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parsePep508, type Pep508Requirement } from './pep508.ts';

/**
 * pip requirements files (pip.pypa.io/en/stable/reference/requirements-file-format/), read the way
 * pip reads them:
 *  - a line ending in '\' continues on the next; '#' at the start or after whitespace starts a comment;
 *  - `-r FILE` / `--requirement FILE` includes another requirements file, `-c FILE` / `--constraint FILE`
 *    a constraints file; both are relative to the file naming them. Each file is read once, so
 *    include cycles (a file including itself or an ancestor) end there;
 *  - `-e` / `--editable` names a local project or VCS URL; a bare URL or path names a file;
 *  - anything else is a PEP 508 requirement, followed by per-requirement options (`--hash=alg:hex`);
 *  - other options (--index-url, --find-links, --pre...) configure pip and name no package.
 */

export interface RequirementLine {
  /** Absolute path of the file the line is in. */
  file: string;
  /** 1-based number of the line the (possibly continued) line starts on. */
  line: number;
  /** The requirement as written, options and comment removed, whitespace collapsed. */
  text: string;
  /** The parsed requirement when the line names a project. */
  requirement?: Pep508Requirement;
  /** `--hash` values ('sha256:...'). */
  hashes: string[];
  editable: boolean;
  /** URL or path of a line that names a file or repository rather than (only) a project. */
  location?: string;
}

export interface RequirementsTree {
  /** Requirements of the file and the files it includes with -r, in reading order. */
  requirements: RequirementLine[];
  /** Requirements read from constraints files (-c and whatever those include): they pin, they do not install. */
  constraints: RequirementLine[];
  /** Lines naming a path or URL whose project name cannot be read (`./x.whl`, `-e .`). */
  unnamed: RequirementLine[];
  /** Lines that are neither options nor requirements pip could read. */
  unparsed: RequirementLine[];
  /** Every file read, absolute, in reading order. */
  files: string[];
  /** Included files that do not exist or cannot be read. */
  missing: { file: string; from: string; line: number; reason: string }[];
  /** Includes that were not followed (URLs: nothing is fetched). */
  notFollowed: { target: string; from: string; line: number }[];
}

/** Logical lines: continuations joined, comments removed, blank lines dropped. */
export function logicalRequirementLines(text: string): { line: number; text: string }[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const out: { line: number; text: string }[] = [];
  let pending: { line: number; text: string } | undefined;
  physical.forEach((raw, index) => {
    const continued = /(^|[^\\])\\$/.test(raw);
    const part = continued ? raw.slice(0, -1) : raw;
    if (pending === undefined) pending = { line: index + 1, text: part };
    else pending.text += part;
    if (continued) return;
    const stripped = pending.text.replace(/(^|\s)#.*$/, '').trim();
    if (stripped !== '') out.push({ line: pending.line, text: stripped });
    pending = undefined;
  });
  if (pending !== undefined) {
    const stripped = (pending as { text: string }).text.replace(/(^|\s)#.*$/, '').trim();
    if (stripped !== '') out.push({ line: (pending as { line: number }).line, text: stripped });
  }
  return out;
}

type Include = 'requirement' | 'constraint';

const INCLUDE_OPTIONS: [RegExp, Include][] = [
  [/^(?:-r|--requirement)(?:\s*=\s*|\s+|(?<=^-r))(.+)$/, 'requirement'],
  [/^(?:-c|--constraint)(?:\s*=\s*|\s+|(?<=^-c))(.+)$/, 'constraint'],
];
const EDITABLE = /^(?:-e|--editable)(?:\s*=\s*|\s+|(?<=^-e))(.+)$/;

/** Whether a requirement text names a file or URL rather than a project (pip's own test is similar). */
function isLocation(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^(\.{1,2}[\\/]|[\\/]|~)/.test(text) || /\.(whl|tar\.gz|zip|tar\.bz2|tgz)$/i.test(text);
}

/** The project name in a URL fragment `#egg=name` (pip's legacy way of naming a VCS or URL requirement). */
function eggName(location: string): string | undefined {
  return /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(location)?.[1];
}

/** Splits 'req --hash=a --hash b' into the requirement and its options (pip: options start at the first token beginning with '-'). */
function splitOptions(text: string): { requirement: string; hashes: string[]; options: string[] } {
  const tokens = text.split(/\s+/);
  const first = tokens.findIndex((t) => t.startsWith('-'));
  const requirement = (first === -1 ? tokens : tokens.slice(0, first)).join(' ');
  const rest = first === -1 ? [] : tokens.slice(first);
  const hashes: string[] = [];
  const options: string[] = [];
  for (let i = 0; i < rest.length; i += 1) {
    const token = rest[i] as string;
    if (token.startsWith('--hash=')) hashes.push(token.slice('--hash='.length));
    else if (token === '--hash' && rest[i + 1] !== undefined) hashes.push(rest[(i += 1)] as string);
    else options.push(token);
  }
  return { requirement, hashes, options };
}

/** Parses one logical line that is not an option (a requirement, a URL or a path). */
export function parseRequirementLine(file: string, line: number, text: string, editable = false): RequirementLine {
  const { requirement: spec, hashes } = splitOptions(text);
  const entry: RequirementLine = { file, line, text: spec, hashes, editable };
  if (editable || isLocation(spec)) {
    entry.location = spec;
    const name = eggName(spec);
    if (name !== undefined) {
      const parsed = parsePep508(name);
      if (parsed !== undefined) entry.requirement = parsed;
    }
    return entry;
  }
  const parsed = parsePep508(spec);
  if (parsed !== undefined) {
    entry.requirement = parsed;
    if (parsed.url !== undefined) entry.location = parsed.url;
  }
  return entry;
}

export type TextReader = (file: string) => Promise<string>;

/**
 * Reads a requirements file and everything it includes. A missing include is reported in
 * `missing`, not thrown: the caller decides (a missing top-level file is thrown as the reader's error).
 */
export async function readRequirementsTree(file: string, read: TextReader = (f) => readFile(f, 'utf8')): Promise<RequirementsTree> {
  const tree: RequirementsTree = { requirements: [], constraints: [], unnamed: [], unparsed: [], files: [], missing: [], notFollowed: [] };
  const seen = new Set<string>();

  const visit = async (current: string, kind: Include, text: string): Promise<void> => {
    tree.files.push(current);
    for (const { line, text: logical } of logicalRequirementLines(text)) {
      const include = INCLUDE_OPTIONS.map(([re, k]) => [re.exec(logical), k] as const).find(([m]) => m !== null);
      if (include !== undefined) {
        const [match, includeKind] = include;
        const target = (match?.[1] ?? '').trim();
        const nextKind: Include = kind === 'constraint' ? 'constraint' : includeKind;
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
          tree.notFollowed.push({ target, from: current, line });
          continue;
        }
        const resolved = path.resolve(path.dirname(current), target);
        if (seen.has(resolved)) continue;
        seen.add(resolved);
        let content: string;
        try {
          content = await read(resolved);
        } catch (error) {
          tree.missing.push({ file: resolved, from: current, line, reason: (error as NodeJS.ErrnoException).code ?? String(error) });
          continue;
        }
        await visit(resolved, nextKind, content);
        continue;
      }
      const editable = EDITABLE.exec(logical);
      if (editable === null && logical.startsWith('-')) continue; // a pip option naming no package
      const entry = parseRequirementLine(current, line, editable === null ? logical : (editable[1] ?? '').trim(), editable !== null);
      if (entry.requirement === undefined) {
        (entry.location === undefined ? tree.unparsed : tree.unnamed).push(entry);
      } else {
        (kind === 'constraint' ? tree.constraints : tree.requirements).push(entry);
      }
    }
  };

  const top = path.resolve(file);
  seen.add(top);
  await visit(top, 'requirement', await read(top));
  return tree;
}
