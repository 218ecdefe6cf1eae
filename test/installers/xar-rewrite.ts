import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

/**
 * Test-only surgery on xar archives that bsdtar built, for variants bsdtar cannot write: Apple's
 * sha256 TOC checksum (algorithm 3 in a 28-byte header) and entries whose encoding differs from
 * the rest. The TOC is edited as text, data can be appended to the heap (heap offsets are relative
 * to the heap, so a longer TOC moves nothing), and the TOC checksum is recomputed.
 */

export interface XarParts {
  /** TOC XML. */
  toc: string;
  heap: Buffer;
}

export function splitXar(archive: Buffer): XarParts {
  const headerSize = archive.readUInt16BE(4);
  const compressed = Number(archive.readBigUInt64BE(8));
  return {
    toc: inflateSync(archive.subarray(headerSize, headerSize + compressed)).toString('utf8'),
    heap: Buffer.from(archive.subarray(headerSize + compressed)),
  };
}

/**
 * Reassembles an archive: `algorithm` is the header's number (1 sha1, 2 md5, 3 sha256 in Apple's
 * numbering) and the TOC's <checksum> must name where its digest lives in the heap.
 */
export function joinXar(parts: XarParts, algorithm: 1 | 2 | 3): Buffer {
  const toc = Buffer.from(parts.toc, 'utf8');
  const compressed = deflateSync(toc);
  const name = { 1: 'sha1', 2: 'md5', 3: 'sha256' }[algorithm];
  const match = /<checksum style="[^"]+">\s*<offset>(\d+)<\/offset>\s*<size>(\d+)<\/size>/.exec(parts.toc);
  if (match === null) throw new Error('the TOC has no checksum element');
  const heap = Buffer.from(parts.heap);
  createHash(name).update(compressed).digest().copy(heap, Number(match[1]));
  const header = Buffer.alloc(28);
  header.write('xar!', 0, 'latin1');
  header.writeUInt16BE(28, 4);
  header.writeUInt16BE(1, 6);
  header.writeBigUInt64BE(BigInt(compressed.length), 8);
  header.writeBigUInt64BE(BigInt(toc.length), 16);
  header.writeUInt32BE(algorithm, 24);
  return Buffer.concat([header, compressed, heap]);
}

/** Apple's variant: the TOC checksum becomes sha256, stored at the end of the heap. */
export function toSha256Toc(archive: Buffer): Buffer {
  const parts = splitXar(archive);
  const offset = parts.heap.length;
  const toc = parts.toc.replace(
    /<checksum style="sha1">\s*<offset>0<\/offset>\s*<size>20<\/size>/,
    `<checksum style="sha256"><offset>${offset}</offset><size>32</size>`,
  );
  if (toc === parts.toc) throw new Error('expected a sha1 TOC checksum at heap offset 0');
  return joinXar({ toc, heap: Buffer.concat([parts.heap, Buffer.alloc(32)]) }, 3);
}

/**
 * Replaces the data of the <file> whose <name> is `name` under the directory `parent` with
 * `stored` bytes appended to the heap, declared with `encoding` and checksums of `stored` and
 * `extracted`.
 */
export function replaceEntryData(
  archive: Buffer,
  parent: string,
  name: string,
  stored: Buffer,
  extracted: Buffer,
  encoding: string,
): Buffer {
  const parts = splitXar(archive);
  const start = parts.toc.indexOf(`<name>${parent}</name>`);
  const at = parts.toc.indexOf(`<name>${name}</name>`, start);
  const dataStart = parts.toc.indexOf('<data>', at);
  const dataEnd = parts.toc.indexOf('</data>', dataStart) + '</data>'.length;
  if (start < 0 || at < 0 || dataStart < 0) throw new Error(`no entry ${parent}/${name}`);
  const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');
  const data =
    `<data><length>${stored.length}</length><offset>${parts.heap.length}</offset><size>${extracted.length}</size>` +
    `<encoding style="${encoding}"/><archived-checksum style="sha1">${sha1(stored)}</archived-checksum>` +
    `<extracted-checksum style="sha1">${sha1(extracted)}</extracted-checksum></data>`;
  const toc = parts.toc.slice(0, dataStart) + data + parts.toc.slice(dataEnd);
  return joinXar({ toc, heap: Buffer.concat([parts.heap, stored]) }, 1);
}
