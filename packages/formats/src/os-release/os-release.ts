/**
 * os-release(5) (freedesktop.org): newline-separated `KEY=value` assignments, a subset of shell
 * syntax. Values may be unquoted or quoted with "..." or '...'; inside double quotes and unquoted
 * text a backslash escapes `$`, `"`, `\` and `` ` `` (the only characters the spec says need it).
 * Lines starting with '#' are comments; blank lines are ignored.
 */

/** The fields the purl `distro` qualifier and the summary use; every assignment is kept in `fields`. */
export interface OsRelease {
  /** Every assignment, keys as written. */
  fields: Record<string, string>;
  /** ID, lower-case per the spec; 'linux' when absent (the spec's default). */
  id: string;
  /** ID_LIKE, space-separated ids of related distributions. */
  idLike: string[];
  name?: string;
  prettyName?: string;
  versionId?: string;
  versionCodename?: string;
}

export class OsReleaseSyntaxError extends Error {
  override readonly name = 'OsReleaseSyntaxError';
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Unquotes one shell-like value: concatenated unquoted, "double" and 'single' quoted parts. */
function unquote(raw: string, line: number): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i] as string;
    if (ch === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) throw new OsReleaseSyntaxError(`line ${line}: unterminated single quote`);
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i += 1;
      let closed = false;
      while (i < raw.length) {
        const c = raw[i] as string;
        if (c === '\\' && i + 1 < raw.length && '$"\\`'.includes(raw[i + 1] as string)) {
          out += raw[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i += 1;
          break;
        } else {
          out += c;
          i += 1;
        }
      }
      if (!closed) throw new OsReleaseSyntaxError(`line ${line}: unterminated double quote`);
    } else if (ch === '\\' && i + 1 < raw.length) {
      out += raw[i + 1];
      i += 2;
    } else if (/\s/.test(ch)) {
      // Unquoted whitespace ends the value in shell; the spec forbids it, so what follows is dropped.
      break;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

/**
 * Parses os-release text. Lines that are not assignments are skipped, as systemd's parser does
 * (it logs and goes on); a quote left open is an error, since the value cannot be known.
 */
export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = {};
  text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .forEach((rawLine, index) => {
      const line = rawLine.trim();
      if (line === '' || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      if (eq <= 0) return;
      const key = line.slice(0, eq).trim();
      if (!KEY.test(key)) return;
      fields[key] = unquote(line.slice(eq + 1).trim(), index + 1);
    });
  const present = (key: string): string | undefined => {
    const value = fields[key]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const release: OsRelease = {
    fields,
    id: present('ID')?.toLowerCase() ?? 'linux',
    idLike: (present('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
  };
  const optional: [keyof OsRelease & ('name' | 'prettyName' | 'versionId' | 'versionCodename'), string][] = [
    ['name', 'NAME'],
    ['prettyName', 'PRETTY_NAME'],
    ['versionId', 'VERSION_ID'],
    ['versionCodename', 'VERSION_CODENAME'],
  ];
  for (const [prop, key] of optional) {
    const value = present(key);
    if (value !== undefined) release[prop] = value;
  }
  return release;
}

/** Where os-release(5) says to look, in order, relative to a root filesystem. */
export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;
