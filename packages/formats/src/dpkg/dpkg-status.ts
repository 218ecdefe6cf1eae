import { parseDebRelations, DebRelationSyntaxError, type DebRelationGroup } from '../deb/deb-relations.ts';
import type { Deb822Paragraph } from '../deb/deb822.ts';
import { parseDeb822Lenient } from './lenient-deb822.ts';

/**
 * dpkg's database of installed packages (dpkg(1) "FILES"; deb822 paragraphs as in the control
 * files plus a `Status: want flag state` field): /var/lib/dpkg/status, and the per-package files
 * distroless images write to /var/lib/dpkg/status.d/ instead. opkg (OpenWrt, Yocto) keeps the same
 * format in /var/lib/opkg/status.
 */

export interface DpkgStatusField {
  /** Selection state: install, hold, deinstall, purge, unknown. */
  want: string;
  /** ok or reinstreq (opkg also writes 'user'). */
  flag: string;
  /** not-installed, config-files, half-installed, unpacked, half-configured, triggers-awaited, triggers-pending, installed. */
  state: string;
}

export interface DpkgStatusEntry {
  /** Position of the paragraph in the file (1-based). */
  index: number;
  /** Binary package name; undefined when the paragraph has none (a damaged file). */
  package?: string;
  version?: string;
  architecture?: string;
  /** Parsed Status field; undefined when absent (distroless status.d files carry none). */
  status?: DpkgStatusField;
  /** Whether the package's files are on disk and configured (see `isInstalledState`). */
  installed: boolean;
  /** Source package (Policy §5.6.1 `Source: name (version)`), defaulting to the binary's. */
  source?: { name: string; version?: string };
  maintainer?: string;
  /** Installed-Size as written (KiB per Policy §5.6.20; some tools write units). */
  installedSize?: string;
  section?: string;
  homepage?: string;
  /** opkg writes a License field; dpkg does not. */
  license?: string;
  description?: string;
  depends: DebRelationGroup[];
  preDepends: DebRelationGroup[];
  provides: DebRelationGroup[];
  /** All fields, names as written. */
  fields: Record<string, string>;
}

export interface DpkgStatus {
  entries: DpkgStatusEntry[];
  /** Lines dropped and fields that could not be parsed. */
  notes: string[];
}

// dpkg-query(1) ${db:Status-Abbrev}: these states have the package unpacked and configured
// (triggers-* only wait for another package's trigger processing).
const INSTALLED_STATES = new Set(['installed', 'triggers-awaited', 'triggers-pending']);

/** Whether a Status value means the package is installed (no Status at all counts as installed). */
export function isInstalledState(status: DpkgStatusField | undefined): boolean {
  return status === undefined || INSTALLED_STATES.has(status.state);
}

/**
 * A simple (single-line) field's value. Continuation lines under a simple field are malformed
 * (Policy §5.1); in a damaged file they are stray text, so only the first line counts (noted).
 */
function simpleField(paragraph: Deb822Paragraph, name: string, note: (message: string) => void): string | undefined {
  const raw = paragraph.get(name);
  if (raw === undefined) return undefined;
  const [first = '', ...rest] = raw.split('\n');
  if (rest.some((line) => line.trim() !== '')) note(`the ${name} field has continuation lines; only its first line is used`);
  const value = first.trim();
  return value === '' ? undefined : value;
}

/** Parses a dpkg (or opkg) status file, tolerating damaged lines and fields (reported in notes). */
export function parseDpkgStatus(text: string, subject: string): DpkgStatus {
  const { paragraphs, skipped } = parseDeb822Lenient(text);
  const notes = skipped.map((s) => `${subject}:${s.line}: ${s.reason}: '${s.text}'`);
  const entries = paragraphs.map((paragraph, i): DpkgStatusEntry => {
    const label = `${subject} paragraph ${i + 1}`;
    const note = (message: string): void => {
      notes.push(`${label}: ${message}`);
    };
    const relations = (name: string): DebRelationGroup[] => {
      try {
        return parseDebRelations(paragraph.get(name));
      } catch (error) {
        if (!(error instanceof DebRelationSyntaxError)) throw error;
        notes.push(`${label}: the ${name} field cannot be parsed (${error.message}); ignored`);
        return [];
      }
    };
    const entry: DpkgStatusEntry = {
      index: i + 1,
      installed: true,
      depends: relations('Depends'),
      preDepends: relations('Pre-Depends'),
      provides: relations('Provides'),
      fields: paragraph.toRecord(),
    };
    const simple: [
      keyof DpkgStatusEntry &
        ('package' | 'version' | 'architecture' | 'maintainer' | 'installedSize' | 'section' | 'homepage' | 'license'),
      string,
    ][] = [
      ['package', 'Package'],
      ['version', 'Version'],
      ['architecture', 'Architecture'],
      ['maintainer', 'Maintainer'],
      ['installedSize', 'Installed-Size'],
      ['section', 'Section'],
      ['homepage', 'Homepage'],
      ['license', 'License'],
    ];
    for (const [key, name] of simple) {
      const value = simpleField(paragraph, name, note);
      if (value !== undefined) entry[key] = value;
    }
    const description = paragraph.get('Description');
    if (description !== undefined) entry.description = (description.split('\n')[0] ?? '').trim();
    const status = simpleField(paragraph, 'Status', note);
    if (status !== undefined) {
      const words = status.split(/\s+/);
      if (words.length === 3) entry.status = { want: words[0] as string, flag: words[1] as string, state: words[2] as string };
      else notes.push(`${label}: malformed Status '${status}' (expected 'want flag state'); not counted as installed`);
      entry.installed = words.length === 3 && isInstalledState(entry.status);
    }
    const source = simpleField(paragraph, 'Source', note);
    if (source !== undefined) {
      const match = /^(\S+)(?:\s+\(([^()\s]+)\))?$/.exec(source);
      if (match === null) notes.push(`${label}: malformed Source '${source}'; ignored`);
      else {
        entry.source = { name: match[1] as string };
        const version = match[2] ?? entry.version;
        if (version !== undefined) entry.source.version = version;
      }
    } else if (entry.package !== undefined) {
      entry.source = { name: entry.package };
      if (entry.version !== undefined) entry.source.version = entry.version;
    }
    return entry;
  });
  return { entries, notes };
}
