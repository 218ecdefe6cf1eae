/**
 * deb822 control data (Debian Policy §5.1, deb822(5)): paragraphs of `Field: value` lines, a
 * value continued on lines that start with a space or a tab, paragraphs separated by blank lines.
 * Field names are case-insensitive; we keep the spelling found and look fields up ignoring case.
 */

export interface Deb822Field {
  name: string;
  /** The value as written: first line trimmed, then each continuation line minus its first space, joined with '\n'. */
  value: string;
}

/** One paragraph: its fields in file order. */
export class Deb822Paragraph {
  constructor(readonly fields: readonly Deb822Field[]) {}

  /** The field's value, looked up case-insensitively; undefined when absent. */
  get(name: string): string | undefined {
    const wanted = name.toLowerCase();
    return this.fields.find((f) => f.name.toLowerCase() === wanted)?.value;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Fields as a plain object, names as written. */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const field of this.fields) out[field.name] = field.value;
    return out;
  }
}

export class Deb822SyntaxError extends Error {
  override readonly name = 'Deb822SyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

// deb822(5): a field name is printable US-ASCII other than ':' and must not begin with '#' or '-'.
const FIELD_NAME = /^[!-9;-~][!-9;-~]*$/;

/**
 * Parses deb822 text into paragraphs. Comment lines ('#' in column 0) are skipped, as dpkg does
 * for source control files; binary control files never contain them.
 */
export function parseDeb822(text: string): Deb822Paragraph[] {
  const paragraphs: Deb822Paragraph[] = [];
  let current: Deb822Field[] = [];
  let last: Deb822Field | undefined;
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') {
      if (current.length > 0) paragraphs.push(new Deb822Paragraph(current));
      current = [];
      last = undefined;
      return;
    }
    if (line.startsWith('#')) return;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) throw new Deb822SyntaxError('continuation line before any field', lineNo);
      // Kept as written minus the one leading space: ' .' (an empty line in a Description,
      // Policy §5.6.13) stays '.' here; see `debDescription` for the rendered text.
      last.value = `${last.value}\n${line.slice(1)}`;
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Deb822SyntaxError(`expected 'Field: value', got '${line.slice(0, 60)}'`, lineNo);
    const name = line.slice(0, colon);
    if (!FIELD_NAME.test(name) || name.startsWith('-')) throw new Deb822SyntaxError(`invalid field name '${name}'`, lineNo);
    if (current.some((f) => f.name.toLowerCase() === name.toLowerCase())) {
      throw new Deb822SyntaxError(`duplicate field '${name}'`, lineNo);
    }
    last = { name, value: line.slice(colon + 1).trim() };
    current.push(last);
  });
  if (current.length > 0) paragraphs.push(new Deb822Paragraph(current));
  return paragraphs;
}

/**
 * Writes one paragraph: values with several lines become continuation lines, an empty line in
 * a multiline value becomes ' .' (Policy §5.6.13). Ends with a newline, as dpkg requires.
 */
export function formatDeb822(fields: readonly Deb822Field[]): string {
  let out = '';
  for (const { name, value } of fields) {
    const [first = '', ...rest] = value.split('\n');
    out += `${name}: ${first}`.trimEnd() + '\n';
    for (const line of rest) out += line.trim() === '' ? ' .\n' : ` ${line}\n`;
  }
  return out;
}
