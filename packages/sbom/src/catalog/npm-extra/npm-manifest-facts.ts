import { isIdnEmail } from '../../cyclonedx/idn-email.ts';
import type { SbomComponent, SbomContact } from '../sbom-component.ts';

/**
 * Facts of a package.json beyond name, version and licenses (npm-installed.ts reads those): who
 * wrote it, what it says it is, where it lives (docs.npmjs.com/cli/configuring-npm/package-json).
 */

type Json = Record<string, unknown>;

/**
 * `author` (or the first of `maintainers`/`contributors`): an object `{ name, email, url }` or the
 * shorthand string 'Name <email> (url)', which npm expands the same way.
 */
export function npmAuthor(manifest: Json): SbomContact | undefined {
  const maintainers: unknown[] = Array.isArray(manifest['maintainers']) ? (manifest['maintainers'] as unknown[]) : [];
  const candidates: unknown[] = [manifest['author'], ...maintainers];
  for (const value of candidates) {
    let name: string | undefined;
    let email: string | undefined;
    if (typeof value === 'string') {
      const match = /^([^<(]*?)\s*(?:<([^>]*)>)?\s*(?:\(([^)]*)\))?\s*$/.exec(value.trim());
      name = match?.[1]?.trim();
      email = match?.[2]?.trim();
    } else if (typeof value === 'object' && value !== null) {
      const fields = value as Json;
      if (typeof fields['name'] === 'string') name = fields['name'].trim();
      if (typeof fields['email'] === 'string') email = fields['email'].trim();
    }
    const validEmail = email !== undefined && isIdnEmail(email) ? email : undefined;
    const shown = name !== undefined && name !== '' ? name : validEmail;
    if (shown === undefined) continue;
    const contact: SbomContact = { name: shown };
    if (validEmail !== undefined) contact.email = validEmail;
    return contact;
  }
  return undefined;
}

/** A git or web URL out of `repository` (string or `{ url }`) and `homepage`. */
export function npmExternalReferences(manifest: Json): SbomComponent['externalReferences'] {
  const refs: SbomComponent['externalReferences'] = [];
  const homepage = manifest['homepage'];
  if (typeof homepage === 'string' && /^https?:\/\//.test(homepage)) refs.push({ type: 'website', url: homepage });
  const repository = manifest['repository'];
  const url =
    typeof repository === 'string'
      ? repository
      : typeof repository === 'object' && repository !== null && typeof (repository as Json)['url'] === 'string'
        ? ((repository as Json)['url'] as string)
        : undefined;
  if (url !== undefined && /^(git\+)?(https?|ssh|git):\/\//.test(url)) refs.push({ type: 'vcs', url });
  return refs;
}

/** Declared dependencies of a package.json with their ranges, by kind ('dependencies', 'optionalDependencies', 'peerDependencies'). */
export function npmDeclaredDependencies(manifest: Json): { kind: string; name: string; range: string }[] {
  const out: { kind: string; name: string; range: string }[] = [];
  for (const kind of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    const value = manifest[kind];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    for (const [name, range] of Object.entries(value as Json).sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push({ kind, name, range: typeof range === 'string' ? range : '' });
    }
  }
  return out;
}

/** Parses package.json text into an object (the caller has already identified the package with parseInstalledNpmManifest). */
export function manifestObject(text: string): Json {
  try {
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
  } catch {
    return {};
  }
}
