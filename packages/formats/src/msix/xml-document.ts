import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FactoryError } from '@packaging-factory/core';

/**
 * Package manifests (AppxManifest.xml, AppxBundleManifest.xml, Detection.xml) parsed with
 * fast-xml-parser into a namespace-resolved element tree. These files come from untrusted
 * packages, so:
 * - entities are never expanded from a DTD (`processEntities: false`): fast-xml-parser never
 *   fetches external entities (it refuses SYSTEM/PUBLIC ones outright), and with expansion off an
 *   internal "billion laughs" entity stays an unexpanded reference, which is then refused here;
 *   MakeAppx and the Windows deployment stack reject DTDs in manifests too;
 * - only XML's five predefined entities and character references are decoded, by us;
 * - the document is validated first, so malformed XML is ARCHIVE_CORRUPT, not a half-read tree.
 */

export interface XmlElement {
  /** Namespace URI, undefined when the element is in no namespace. */
  namespace: string | undefined;
  /** Local name. */
  name: string;
  /** Unprefixed attributes by name; namespaced ones as '{uri}local'. */
  attributes: Map<string, string>;
  children: XmlElement[];
  /** Character data directly inside, concatenated (trimmed). */
  text: string;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Nodes of fast-xml-parser's `preserveOrder` output: `{ tag: children, ':@': attributes }` or `{ '#text': value }`. */
type OrderedNode = Record<string, unknown>;

function unsafe(subject: string, message: string): FactoryError {
  return new FactoryError('ARCHIVE_UNSAFE', `${subject}: ${message}`, {
    subject,
    hint: 'package manifests may not declare a DTD or entities; rebuild the package with the vendor tool',
  });
}

function corrupt(subject: string, message: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${subject}: ${message}`, {
    subject,
    hint: 'the manifest is not well-formed XML; rebuild the package',
  });
}

/** Decodes predefined entities and character references; any other reference is refused. */
function decodeEntities(value: string, subject: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z_][\w.-]*);/g, (_match, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff))
        throw corrupt(subject, `invalid character reference &${ref};`);
      return String.fromCodePoint(code);
    }
    const known = PREDEFINED[ref];
    if (known === undefined) throw unsafe(subject, `refers to the entity &${ref};, which only a DTD could define`);
    return known;
  });
}

/** Decodes a byte-order mark the way XML 1.0 appendix F says a parser detects encoding. */
function decodeText(bytes: Buffer): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.toString('utf8', 3);
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.toString('utf16le', 2);
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return bytes.toString('utf8');
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseAttributeValue: false,
  parseTagValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses manifest bytes into a namespace-resolved tree; `subject` names the file in errors. */
export function parseXmlDocument(bytes: Buffer, subject: string): XmlElement {
  const text = decodeText(bytes);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const message = `${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`;
    throw /entit|doctype/i.test(valid.err.msg) ? unsafe(subject, message) : corrupt(subject, message);
  }
  let nodes: unknown;
  try {
    nodes = parser.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw /entit|doctype/i.test(message) ? unsafe(subject, message) : corrupt(subject, message);
  }
  const elements = toElements(Array.isArray(nodes) ? (nodes as OrderedNode[]) : [], new Map(), subject);
  const root = elements.elements[0];
  if (root === undefined || elements.elements.length > 1) throw corrupt(subject, 'an XML document has exactly one root element');
  return root;
}

function toElements(nodes: OrderedNode[], scope: ReadonlyMap<string, string>, subject: string): { elements: XmlElement[]; text: string } {
  const elements: XmlElement[] = [];
  let text = '';
  for (const node of nodes) {
    for (const [key, value] of Object.entries(node)) {
      if (key === ':@') continue;
      if (key === '#text') {
        text += decodeEntities(String(value), subject);
        continue;
      }
      const raw = isRecord(node[':@']) ? node[':@'] : {};
      // Namespace declarations first: they apply to the element's own name and attributes.
      const local = new Map(scope);
      for (const [name, attrValue] of Object.entries(raw)) {
        const decoded = decodeEntities(String(attrValue), subject);
        if (name === 'xmlns') local.set('', decoded);
        else if (name.startsWith('xmlns:')) local.set(name.slice(6), decoded);
      }
      const resolve = (qname: string, isAttribute: boolean): { namespace: string | undefined; name: string } => {
        const colon = qname.indexOf(':');
        if (colon < 0) return { namespace: isAttribute ? undefined : local.get('') || undefined, name: qname };
        const prefix = qname.slice(0, colon);
        if (prefix === 'xml') return { namespace: 'http://www.w3.org/XML/1998/namespace', name: qname.slice(colon + 1) };
        const uri = local.get(prefix);
        if (uri === undefined) throw corrupt(subject, `the prefix '${prefix}' of <${qname}> is not declared`);
        return { namespace: uri, name: qname.slice(colon + 1) };
      };
      const { namespace, name } = resolve(key, false);
      const attributes = new Map<string, string>();
      for (const [attrName, attrValue] of Object.entries(raw)) {
        if (attrName === 'xmlns' || attrName.startsWith('xmlns:')) continue;
        const resolved = resolve(attrName, true);
        attributes.set(
          resolved.namespace === undefined ? resolved.name : `{${resolved.namespace}}${resolved.name}`,
          decodeEntities(String(attrValue), subject),
        );
      }
      const inner = toElements(Array.isArray(value) ? (value as OrderedNode[]) : [], local, subject);
      elements.push({ namespace, name, attributes, children: inner.elements, text: inner.text });
    }
  }
  return { elements, text };
}

/** Child elements with a local name in one of `namespaces`. */
export function manifestChildren(parent: XmlElement, name: string, namespaces: readonly string[]): XmlElement[] {
  return parent.children.filter((c) => c.name === name && c.namespace !== undefined && namespaces.includes(c.namespace));
}

/** The first such child, or undefined. */
export function manifestChild(parent: XmlElement, name: string, namespaces: readonly string[]): XmlElement | undefined {
  return manifestChildren(parent, name, namespaces)[0];
}
