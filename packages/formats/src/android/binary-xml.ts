import {
  childChunks,
  readChunk,
  RES_STRING_POOL_TYPE,
  RES_XML_CDATA_TYPE,
  RES_XML_END_ELEMENT_TYPE,
  RES_XML_END_NAMESPACE_TYPE,
  RES_XML_RESOURCE_MAP_TYPE,
  RES_XML_START_ELEMENT_TYPE,
  RES_XML_START_NAMESPACE_TYPE,
  RES_XML_TYPE,
  ResBuffer,
} from './res-chunk.ts';
import { readResValue, type ResValue } from './res-value.ts';
import { NO_STRING, StringPool } from './string-pool.ts';

/**
 * Android's compiled ("binary") XML, the form aapt/aapt2 give AndroidManifest.xml inside an APK
 * (ResourceTypes.h, ResXMLTree_*): a RES_XML_TYPE chunk holding a string pool, an optional
 * resource map (the resource id of each attribute-name string, which is how Android itself
 * recognises android:* attributes even when the names are obfuscated away), then a flat stream of
 * start/end namespace, start/end element and CDATA nodes.
 */

export interface BinaryXmlAttribute {
  /** Namespace URI ('http://schemas.android.com/apk/res/android'), absent for none. */
  namespace?: string;
  name: string;
  /** The framework attribute id from the resource map (0x01010003 for android:name), when mapped. */
  resourceId?: number;
  /** The raw string value aapt kept, when it kept one. */
  raw?: string;
  value: ResValue;
}

export interface BinaryXmlElement {
  namespace?: string;
  name: string;
  /** Source line number aapt recorded. */
  line: number;
  attributes: BinaryXmlAttribute[];
  children: BinaryXmlElement[];
  /** Character data directly inside the element, concatenated. */
  text: string;
}

export interface BinaryXmlDocument {
  root: BinaryXmlElement;
  /** Namespace prefix → URI declarations, in document order. */
  namespaces: { prefix?: string; uri: string }[];
}

/** Deeper nesting than any manifest has: a guard against a crafted file. */
const MAX_DEPTH = 512;
/** ResXMLTree_attribute is 20 bytes: ns, name, rawValue (uint32 each) and a Res_value. */
const MIN_ATTRIBUTE_SIZE = 20;

/** The first four bytes of a compiled XML file: RES_XML_TYPE with an 8-byte header. */
export function hasBinaryXmlMagic(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt16LE(0) === RES_XML_TYPE && head.readUInt16LE(2) === 8;
}

/** Parses a compiled XML file; `subject` names it in errors ('app.apk:AndroidManifest.xml'). */
export function parseBinaryXml(bytes: Buffer, subject: string): BinaryXmlDocument {
  const buf = new ResBuffer(bytes, subject);
  const top = readChunk(buf, 0, bytes.length, 'XML chunk');
  if (top.type !== RES_XML_TYPE) {
    throw buf.corrupt(`not Android binary XML: the first chunk has type 0x${top.type.toString(16)}, expected 0x0003 (RES_XML_TYPE)`);
  }
  let pool: StringPool | undefined;
  let resourceMap: number[] = [];
  const namespaces: { prefix?: string; uri: string }[] = [];
  const stack: BinaryXmlElement[] = [];
  let root: BinaryXmlElement | undefined;

  const needPool = (): StringPool => {
    if (pool === undefined) throw buf.corrupt('an XML node comes before the string pool');
    return pool;
  };

  for (const chunk of childChunks(buf, top.offset + top.headerSize, top.offset + top.size, 'XML node')) {
    const end = chunk.offset + chunk.size;
    switch (chunk.type) {
      case RES_STRING_POOL_TYPE:
        if (pool === undefined) pool = new StringPool(buf, chunk);
        break;
      case RES_XML_RESOURCE_MAP_TYPE: {
        const count = Math.floor((chunk.size - chunk.headerSize) / 4);
        resourceMap = [];
        for (let i = 0; i < count; i += 1) resourceMap.push(buf.u32(chunk.offset + chunk.headerSize + i * 4, 'resource map'));
        break;
      }
      case RES_XML_START_NAMESPACE_TYPE:
      case RES_XML_END_NAMESPACE_TYPE: {
        // ResXMLTree_node is 16 bytes (chunk, lineNumber, comment); the extension { prefix; uri } follows.
        const ext = chunk.offset + chunk.headerSize;
        buf.check(ext, 8, 'namespace node', end);
        if (chunk.type === RES_XML_START_NAMESPACE_TYPE) {
          const p = needPool();
          const prefix = p.ref(buf.u32(ext, 'namespace prefix'));
          const uri = p.get(buf.u32(ext + 4, 'namespace uri'));
          namespaces.push(prefix === undefined ? { uri } : { prefix, uri });
        }
        break;
      }
      case RES_XML_START_ELEMENT_TYPE: {
        const p = needPool();
        const line = buf.u32(chunk.offset + 8, 'line number');
        const ext = chunk.offset + chunk.headerSize;
        // ResXMLTree_attrExt: ns, name (uint32); attributeStart, attributeSize, attributeCount,
        // idIndex, classIndex, styleIndex (uint16). attributeStart is relative to the extension.
        buf.check(ext, 20, 'element node', end);
        const namespace = p.ref(buf.u32(ext, 'element namespace'));
        const name = p.get(buf.u32(ext + 4, 'element name'));
        const attributeStart = buf.u16(ext + 8, 'attribute start');
        const attributeSize = buf.u16(ext + 10, 'attribute size');
        const attributeCount = buf.u16(ext + 12, 'attribute count');
        if (attributeCount > 0 && attributeSize < MIN_ATTRIBUTE_SIZE) {
          throw buf.corrupt(`element <${name}> declares ${attributeSize}-byte attributes, less than ${MIN_ATTRIBUTE_SIZE}`);
        }
        buf.check(ext + attributeStart, attributeCount * attributeSize, `attributes of <${name}>`, end);
        const element: BinaryXmlElement = { name, line, attributes: [], children: [], text: '' };
        if (namespace !== undefined) element.namespace = namespace;
        for (let i = 0; i < attributeCount; i += 1) {
          const at = ext + attributeStart + i * attributeSize;
          const nameIndex = buf.u32(at + 4, 'attribute name');
          const attribute: BinaryXmlAttribute = { name: p.get(nameIndex), value: readResValue(buf, at + 12, p) };
          const attrNamespace = p.ref(buf.u32(at, 'attribute namespace'));
          if (attrNamespace !== undefined) attribute.namespace = attrNamespace;
          const resourceId = resourceMap[nameIndex];
          if (resourceId !== undefined && resourceId !== 0) attribute.resourceId = resourceId;
          const rawIndex = buf.u32(at + 8, 'attribute raw value');
          if (rawIndex !== NO_STRING) attribute.raw = p.get(rawIndex);
          element.attributes.push(attribute);
        }
        const parent = stack[stack.length - 1];
        if (parent !== undefined) parent.children.push(element);
        else if (root === undefined) root = element;
        else throw buf.corrupt(`a second root element <${name}> follows <${root.name}>`);
        if (stack.length >= MAX_DEPTH) throw buf.corrupt(`elements nest deeper than ${MAX_DEPTH} levels`);
        stack.push(element);
        break;
      }
      case RES_XML_END_ELEMENT_TYPE: {
        const open = stack.pop();
        if (open === undefined) throw buf.corrupt(`an end-element node at offset ${chunk.offset} closes no element`);
        break;
      }
      case RES_XML_CDATA_TYPE: {
        const ext = chunk.offset + chunk.headerSize;
        buf.check(ext, 4, 'CDATA node', end);
        const text = needPool().ref(buf.u32(ext, 'CDATA text'));
        const parent = stack[stack.length - 1];
        if (parent !== undefined && text !== undefined) parent.text += text;
        break;
      }
      default:
        // Unknown chunk types are skipped by size, as androidfw does.
        break;
    }
  }
  if (root === undefined) throw buf.corrupt('the XML holds no element');
  return { root, namespaces };
}
