/**
 * Test-side helpers that walk and rewrite Android binary XML chunk framing (ResourceTypes.h), to
 * aim damage at exact structures and to re-encode a string pool as UTF-8 (aapt 1 writes UTF-16
 * pools in compiled XML; aapt2, not packaged for Debian, writes UTF-8 ones).
 */

export interface ChunkAt {
  offset: number;
  type: number;
  headerSize: number;
  size: number;
}

/** The chunks directly inside the chunk at `parent` (or the top-level chunk's children). */
export function chunksOf(bytes: Buffer, parent = 0): ChunkAt[] {
  const headerSize = bytes.readUInt16LE(parent + 2);
  const end = parent + bytes.readUInt32LE(parent + 4);
  const chunks: ChunkAt[] = [];
  for (let at = parent + headerSize; at + 8 <= end;) {
    const chunk = { offset: at, type: bytes.readUInt16LE(at), headerSize: bytes.readUInt16LE(at + 2), size: bytes.readUInt32LE(at + 4) };
    chunks.push(chunk);
    at += chunk.size;
  }
  return chunks;
}

/** The strings of a UTF-16 string pool chunk. */
function utf16Strings(bytes: Buffer, pool: ChunkAt): string[] {
  const count = bytes.readUInt32LE(pool.offset + 8);
  const stringsStart = pool.offset + bytes.readUInt32LE(pool.offset + 20);
  const strings: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const at = stringsStart + bytes.readUInt32LE(pool.offset + pool.headerSize + i * 4);
    const units = bytes.readUInt16LE(at);
    strings.push(bytes.toString('utf16le', at + 2, at + 2 + units * 2));
  }
  return strings;
}

function length8(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x80 | (n >> 8), n & 0xff]);
}

/** A UTF-8 string pool chunk holding `strings` (no styles). */
export function utf8Pool(strings: string[]): Buffer {
  const data: Buffer[] = [];
  const offsets: number[] = [];
  let size = 0;
  for (const s of strings) {
    const utf8 = Buffer.from(s, 'utf8');
    const encoded = Buffer.concat([length8(s.length), length8(utf8.length), utf8, Buffer.from([0])]);
    offsets.push(size);
    data.push(encoded);
    size += encoded.length;
  }
  const body = Buffer.concat(data);
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const header = Buffer.alloc(28 + offsets.length * 4);
  header.writeUInt16LE(0x0001, 0);
  header.writeUInt16LE(28, 2);
  header.writeUInt32LE(header.length + padded.length, 4);
  header.writeUInt32LE(strings.length, 8);
  header.writeUInt32LE(0, 12);
  header.writeUInt32LE(0x100, 16);
  header.writeUInt32LE(header.length, 20);
  header.writeUInt32LE(0, 24);
  offsets.forEach((o, i) => header.writeUInt32LE(o, 28 + i * 4));
  return Buffer.concat([header, padded]);
}

/** The compiled XML with its (UTF-16) string pool replaced by the same strings in UTF-8. */
export function withUtf8StringPool(xml: Buffer): Buffer {
  const pool = chunksOf(xml).find((c) => c.type === 0x0001);
  if (pool === undefined) throw new Error('no string pool');
  const replacement = utf8Pool(utf16Strings(xml, pool));
  const out = Buffer.concat([xml.subarray(0, pool.offset), replacement, xml.subarray(pool.offset + pool.size)]);
  out.writeUInt32LE(out.length, 4);
  return out;
}

/** A small deterministic PRNG (mulberry32) so mutation tests are repeatable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
