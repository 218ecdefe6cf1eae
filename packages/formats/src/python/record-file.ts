/**
 * The RECORD file of a wheel or *.dist-info directory (packaging.python.org/en/latest/specifications/
 * recording-installed-packages/#the-record-file): CSV as Python's `csv` module writes it by default
 * (comma-separated, fields with commas or quotes in double quotes, "" for a quote), one row per
 * file: path, `sha256=<urlsafe base64 without padding>`, size. RECORD itself, and .pyc files
 * written at install time, have empty hash and size.
 */

export interface RecordEntry {
  path: string;
  /** Hash algorithm named in the row ('sha256'), when present. */
  algorithm?: string;
  /** The digest in hex (decoded from the row's urlsafe base64). */
  digestHex?: string;
  size?: number;
}

/** Splits CSV text into rows of fields (RFC 4180 quoting, as Python's csv.writer emits it). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += ch;
      }
      i += 1;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') endField();
    else if (ch === '\n' || ch === '\r') {
      endField();
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
    } else field += ch;
    i += 1;
  }
  endField();
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

/** Parses RECORD; rows without a path are skipped. */
export function parseRecord(text: string): RecordEntry[] {
  return parseCsvRows(text).flatMap(([path, hash, size]) => {
    if (path === undefined || path === '') return [];
    const entry: RecordEntry = { path };
    const eq = hash?.indexOf('=') ?? -1;
    if (hash !== undefined && eq > 0) {
      entry.algorithm = hash.slice(0, eq).toLowerCase();
      entry.digestHex = Buffer.from(hash.slice(eq + 1), 'base64url').toString('hex');
    }
    if (size !== undefined && /^\d+$/.test(size)) entry.size = Number(size);
    return [entry];
  });
}
