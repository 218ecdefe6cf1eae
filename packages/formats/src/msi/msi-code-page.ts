import { TextDecoder } from 'node:util';
import { FactoryError } from '@packaging-factory/core';

/**
 * Windows code page numbers (the MSI string pool's and the summary stream's PID_CODEPAGE) to
 * WHATWG encoding labels Node's TextDecoder understands. An MSI's strings are stored in its
 * database code page; 0 is the "neutral" page, meant for ASCII-only databases, which Windows reads
 * in the system's ANSI page: windows-1252 is the usual one and a superset of ASCII.
 */
const CODE_PAGES: Record<number, string> = {
  0: 'windows-1252',
  437: 'windows-1252',
  866: 'ibm866',
  874: 'windows-874',
  932: 'shift_jis',
  936: 'gbk',
  949: 'euc-kr',
  950: 'big5',
  1250: 'windows-1250',
  1251: 'windows-1251',
  1252: 'windows-1252',
  1253: 'windows-1253',
  1254: 'windows-1254',
  1255: 'windows-1255',
  1256: 'windows-1256',
  1257: 'windows-1257',
  1258: 'windows-1258',
  10000: 'macintosh',
  20127: 'windows-1252',
  20866: 'koi8-r',
  21866: 'koi8-u',
  28591: 'windows-1252',
  28592: 'iso-8859-2',
  28593: 'iso-8859-3',
  28594: 'iso-8859-4',
  28595: 'iso-8859-5',
  28596: 'iso-8859-6',
  28597: 'iso-8859-7',
  28598: 'iso-8859-8',
  28603: 'iso-8859-13',
  28605: 'iso-8859-15',
  54936: 'gb18030',
  65001: 'utf-8',
};

/** A decoder for a Windows code page; a page we cannot decode is refused rather than guessed. */
export function codePageDecoder(codePage: number, file: string): TextDecoder {
  const label = CODE_PAGES[codePage];
  if (label === undefined) {
    throw new FactoryError('ARCHIVE_UNSUPPORTED', `${file} stores its strings in code page ${codePage}, which this reader cannot decode`, {
      subject: file,
      hint: 'rebuild the package with a Windows ANSI code page (125x) or UTF-8 (65001)',
    });
  }
  return new TextDecoder(label);
}
