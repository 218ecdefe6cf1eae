/**
 * `idn-email` (RFC 6531: an email address whose parts may be Unicode), as the CycloneDX 1.6 schema
 * requires for contact addresses. ajv-formats-draft2019 checks it through Node's deprecated
 * `punycode` module, which warns on every run of the bundle; the schema uses it only for contact
 * addresses, so one '@' between a local part and a dotted domain, without spaces or control
 * characters, is the check. The validator and the catalogers share this one definition, so a
 * contact we write is one the validator accepts.
 */
export const IDN_EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;

/** True when `text` passes the `idn-email` check the CycloneDX validator applies. */
export function isIdnEmail(text: string): boolean {
  return IDN_EMAIL.test(text);
}
