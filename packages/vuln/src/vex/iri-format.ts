/**
 * RFC 3987 absolute IRI, checked structurally: a scheme (RFC 3986 §3.1), a colon, and no
 * characters an IRI may never contain (controls, space, and `<>"{}|\^` plus the backtick).
 * OpenVEX uses the `iri` format for @id fields, and ajv-formats has no `iri` format.
 */
export function isIri(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`\u0000-\u001f\u007f]*$/u.test(value);
}
