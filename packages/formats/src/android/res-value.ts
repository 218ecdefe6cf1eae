import type { ResBuffer } from './res-chunk.ts';
import type { StringPool } from './string-pool.ts';

/**
 * Res_value (ResourceTypes.h): { uint16 size; uint8 res0; uint8 dataType; uint32 data }, the typed
 * value of an XML attribute or a resource table entry.
 */
export const TYPE_NULL = 0x00;
export const TYPE_REFERENCE = 0x01;
export const TYPE_ATTRIBUTE = 0x02;
export const TYPE_STRING = 0x03;
export const TYPE_FLOAT = 0x04;
export const TYPE_DIMENSION = 0x05;
export const TYPE_FRACTION = 0x06;
export const TYPE_DYNAMIC_REFERENCE = 0x07;
export const TYPE_INT_DEC = 0x10;
export const TYPE_INT_HEX = 0x11;
export const TYPE_INT_BOOLEAN = 0x12;
const TYPE_FIRST_COLOR = 0x1c;
const TYPE_LAST_COLOR = 0x1f;

export type ResValueKind = 'null' | 'reference' | 'attribute' | 'string' | 'float' | 'int-dec' | 'int-hex' | 'boolean' | 'color' | 'other';

export interface ResValue {
  kind: ResValueKind;
  dataType: number;
  /** The raw 32-bit data word (unsigned). */
  data: number;
  /** For 'string': the string the data indexes in the owning pool. */
  string?: string;
}

export const RES_VALUE_SIZE = 8;

function kindOf(dataType: number): ResValueKind {
  switch (dataType) {
    case TYPE_NULL:
      return 'null';
    // A dynamic reference is a reference into a shared library package whose id is assigned at
    // run time: for reading an APK's own resources it resolves like a plain reference.
    case TYPE_REFERENCE:
    case TYPE_DYNAMIC_REFERENCE:
      return 'reference';
    case TYPE_ATTRIBUTE:
      return 'attribute';
    case TYPE_STRING:
      return 'string';
    case TYPE_FLOAT:
      return 'float';
    case TYPE_INT_DEC:
      return 'int-dec';
    case TYPE_INT_HEX:
      return 'int-hex';
    case TYPE_INT_BOOLEAN:
      return 'boolean';
    default:
      return dataType >= TYPE_FIRST_COLOR && dataType <= TYPE_LAST_COLOR ? 'color' : 'other';
  }
}

/** Reads the Res_value at `offset`; a string value is looked up in `pool`. */
export function readResValue(buf: ResBuffer, offset: number, pool: StringPool): ResValue {
  const dataType = buf.u8(offset + 3, 'value type');
  const data = buf.u32(offset + 4, 'value data');
  return makeResValue(dataType, data, pool);
}

export function makeResValue(dataType: number, data: number, pool: StringPool): ResValue {
  const value: ResValue = { kind: kindOf(dataType), dataType, data };
  if (value.kind === 'string') value.string = pool.get(data);
  return value;
}

/** '@0x7f040001', the way aapt prints a reference. */
export function formatResourceId(id: number): string {
  return `@0x${id.toString(16).padStart(8, '0')}`;
}

/**
 * The value as text, the way `aapt dump xmltree` and Android's own XML pull parser show it:
 * decimal integers signed, hex with 0x, booleans as true/false (aapt2 stores true as 0xffffffff).
 */
export function formatResValue(value: ResValue): string {
  switch (value.kind) {
    case 'string':
      return value.string ?? '';
    case 'int-dec':
      return String(value.data | 0);
    case 'int-hex':
      return `0x${value.data.toString(16)}`;
    case 'boolean':
      return value.data !== 0 ? 'true' : 'false';
    case 'reference':
      return formatResourceId(value.data);
    case 'attribute':
      return `?0x${value.data.toString(16).padStart(8, '0')}`;
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(value.data);
      return String(b.readFloatLE(0));
    }
    case 'null':
      return '';
    default:
      return `0x${value.data.toString(16).padStart(8, '0')}`;
  }
}
