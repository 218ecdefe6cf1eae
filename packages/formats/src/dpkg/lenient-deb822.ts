import { parseDeb822, type Deb822Paragraph } from '../deb/deb822.ts';

/**
 * deb822 as found on real systems: dpkg writes its status file correctly, but status files edited
 * by hand, assembled by image builders or truncated by a full disk are not, and one bad line must
 * not hide every other installed package. Lines that cannot be part of a paragraph are dropped
 * (and reported); what remains is parsed by the strict `parseDeb822`.
 */

export interface SkippedDeb822Line {
  /** 1-based line number. */
  line: number;
  text: string;
  reason: string;
}

export interface LenientDeb822 {
  paragraphs: Deb822Paragraph[];
  skipped: SkippedDeb822Line[];
}

// deb822(5): a field name is printable US-ASCII other than ':' and space, not starting with '#' or '-'.
const FIELD_LINE = /^([!-9;-~]+):/;

/** Parses deb822 text, dropping lines that are neither fields nor continuations of a kept field. */
export function parseDeb822Lenient(text: string): LenientDeb822 {
  const kept: string[] = [];
  const skipped: SkippedDeb822Line[] = [];
  let names = new Set<string>();
  let inField = false;
  text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .forEach((line, index) => {
      const skip = (reason: string): void => {
        skipped.push({ line: index + 1, text: line.length > 80 ? `${line.slice(0, 77)}...` : line, reason });
        inField = false;
      };
      if (line.trim() === '') {
        kept.push('');
        names = new Set();
        inField = false;
        return;
      }
      if (line.startsWith('#')) return;
      if (line.startsWith(' ') || line.startsWith('\t')) {
        if (inField) kept.push(line);
        else skipped.push({ line: index + 1, text: line.trim().slice(0, 80), reason: 'continuation line outside a field' });
        return;
      }
      const match = FIELD_LINE.exec(line);
      const name = match?.[1];
      if (name === undefined || name.startsWith('-')) return skip("not a 'Field: value' line");
      if (names.has(name.toLowerCase())) return skip(`duplicate field '${name}' in one paragraph`);
      names.add(name.toLowerCase());
      kept.push(line);
      inField = true;
    });
  return { paragraphs: parseDeb822(kept.join('\n')), skipped };
}
