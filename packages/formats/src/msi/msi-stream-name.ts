/**
 * Windows Installer stores table and stream names in compound-file entry names (at most 31 UTF-16
 * code units) by packing them: each code unit in U+3800..U+47FF carries two characters of a 64-symbol
 * alphabet (0-9, A-Z, a-z, '.', '_'), U+4800..U+483F carries one, and a leading U+4840 marks a table
 * (as opposed to a binary stream such as an embedded cabinet). Other code units stand for
 * themselves ('\u0005SummaryInformation'). Microsoft does not document the scheme; it is the one
 * Wine's and msitools' libmsi implement (decode_streamname), which also read what Windows writes.
 */

const TABLE_PREFIX = 0x4840;
const PAIR_BASE = 0x3800;
const SINGLE_BASE = 0x4800;

function symbol(value: number): string {
  if (value < 10) return String.fromCharCode(0x30 + value);
  if (value < 36) return String.fromCharCode(0x41 + value - 10);
  if (value < 62) return String.fromCharCode(0x61 + value - 36);
  return value === 62 ? '.' : '_';
}

function symbolValue(char: string): number | undefined {
  const code = char.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x5a) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x7a) return code - 0x61 + 36;
  if (char === '.') return 62;
  if (char === '_') return 63;
  return undefined;
}

export interface MsiStreamName {
  /** The decoded name ('Property', 'product.cab', '\u0005SummaryInformation'). */
  name: string;
  /** True when the entry holds a database table (the U+4840 prefix). */
  table: boolean;
}

/** Decodes a compound-file entry name written by Windows Installer. */
export function decodeMsiStreamName(stored: string): MsiStreamName {
  let table = false;
  let start = 0;
  if (stored.charCodeAt(0) === TABLE_PREFIX) {
    table = true;
    start = 1;
  }
  let name = '';
  for (let i = start; i < stored.length; i++) {
    const code = stored.charCodeAt(i);
    if (code >= PAIR_BASE && code < SINGLE_BASE) {
      const packed = code - PAIR_BASE;
      name += symbol(packed & 0x3f) + symbol((packed >> 6) & 0x3f);
    } else if (code >= SINGLE_BASE && code < TABLE_PREFIX) {
      name += symbol(code - SINGLE_BASE);
    } else {
      name += stored[i];
    }
  }
  return { name, table };
}

/** Encodes a name the way Windows Installer stores it (the inverse of `decodeMsiStreamName`). */
export function encodeMsiStreamName(name: string, table: boolean): string {
  let out = table ? String.fromCharCode(TABLE_PREFIX) : '';
  let i = 0;
  while (i < name.length) {
    const first = symbolValue(name.charAt(i));
    if (first === undefined) {
      out += name.charAt(i);
      i += 1;
      continue;
    }
    const second = i + 1 < name.length ? symbolValue(name.charAt(i + 1)) : undefined;
    if (second !== undefined) {
      out += String.fromCharCode(PAIR_BASE + first + (second << 6));
      i += 2;
    } else {
      out += String.fromCharCode(SINGLE_BASE + first);
      i += 1;
    }
  }
  return out;
}
