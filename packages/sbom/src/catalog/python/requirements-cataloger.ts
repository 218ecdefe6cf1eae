import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { formatSpecifiers, pinnedVersion, readRequirementsTree, type RequirementLine } from '@packaging-factory/formats';
import type { Cataloger, CatalogContext, CatalogOutput, CatalogTarget } from '../cataloger.ts';
import { newComponent, uniqueProperties, type SbomComponent } from '../sbom-component.ts';
import { byPythonRef, pythonPurl, sortPythonProperties } from './python-component.ts';

/**
 * pip requirements files. A line pins a version only with `==` (no wildcard) or `===`; a
 * constraints file (-c) can pin a requirement its own line leaves open, as pip applies it. An
 * unpinned requirement is listed without a version (its purl has none), with its specifier kept,
 * and a note says so: the version pip will pick is not in the file, and guessing one would let a
 * scanner match advisories against a version that may never be installed.
 */

/** Conventional requirements file names: requirements.txt, requirements-dev.txt, dev-requirements.txt, requirements/*.txt. */
const REQUIREMENTS_NAME = /^(.*[-_.])?requirements([-_.].*)?\.txt$/i;

/**
 * A file named directly that is not conventionally named is read as requirements only when its
 * first lines are all requirements, options or comments (a license or README is not).
 */
function looksLikeRequirements(head: Buffer): boolean {
  const lines = head.toString('utf8').split(/\r?\n/);
  if (head.length >= 512) lines.pop(); // the last line may be cut off
  let requirementLines = 0;
  for (const raw of lines) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '' || line.startsWith('-')) continue;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\]\s*)?((===|==|!=|~=|<=|>=|<|>|@|;)|$)/.test(line)) return false;
    requirementLines += 1;
  }
  return requirementLines > 0 || lines.some((l) => /^\s*-[rc]\s/.test(l));
}

function shownOf(file: string, target: CatalogTarget, ctx: CatalogContext): string {
  if (path.resolve(file) === path.resolve(target.file)) return target.shown;
  const relative = path.relative(ctx.workDir, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

/** Catalogues one requirements file and the files it includes. */
export async function catalogRequirements(target: CatalogTarget, ctx: CatalogContext): Promise<CatalogOutput> {
  let tree;
  try {
    tree = await readRequirementsTree(target.file);
  } catch (error) {
    throw new FactoryError('FILE_UNREADABLE', `${target.shown} cannot be read`, { subject: target.shown, cause: error });
  }
  const shown = (file: string): string => shownOf(file, target, ctx);
  const notes: string[] = [];

  // Constraints pin by name; the first pin read wins (pip refuses conflicting ones).
  const constraintPins = new Map<string, { version: string; line: RequirementLine }>();
  for (const line of tree.constraints) {
    const requirement = line.requirement;
    const version = requirement === undefined ? undefined : pinnedVersion(requirement.specifiers);
    if (requirement !== undefined && version !== undefined && !constraintPins.has(requirement.normalized)) {
      constraintPins.set(requirement.normalized, { version, line });
    }
  }

  const byRefMap = new Map<string, SbomComponent>();
  const unpinned = new Set<string>();
  for (const line of tree.requirements) {
    const requirement = line.requirement;
    if (requirement === undefined) continue;
    const own = pinnedVersion(requirement.specifiers);
    const constrained = own === undefined ? constraintPins.get(requirement.normalized) : undefined;
    const version = own ?? constrained?.version;
    const ref = pythonPurl(requirement.normalized, version);
    let component = byRefMap.get(ref);
    if (component === undefined) {
      component = newComponent({ ref, type: 'library', ecosystem: 'pypi', name: requirement.normalized, purl: ref, scope: 'required' });
      if (version !== undefined) component.version = version;
      byRefMap.set(ref, component);
    }
    const props = component.properties;
    props.push(['packaging-factory:source', shown(line.file)]);
    props.push(['packaging-factory:pypi:requirement', `${shown(line.file)}:${line.line}: ${line.text}`]);
    if (requirement.specifiers.length > 0) props.push(['packaging-factory:pypi:specifier', formatSpecifiers(requirement.specifiers)]);
    if (requirement.name !== requirement.normalized) props.push(['packaging-factory:pypi:Name', requirement.name]);
    if (requirement.extras.length > 0) props.push(['packaging-factory:pypi:extras', requirement.extras.join(',')]);
    if (requirement.marker !== undefined) props.push(['packaging-factory:pypi:marker', requirement.marker]);
    for (const hash of line.hashes) props.push(['packaging-factory:pypi:hash', hash]);
    if (line.editable) props.push(['packaging-factory:pypi:editable', 'true']);
    if (constrained !== undefined)
      props.push(['packaging-factory:pypi:pinned-by', `${shown(constrained.line.file)}:${constrained.line.line}`]);
    if (line.location !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(line.location)) {
      const url = line.location;
      const type = /^(git|hg|svn|bzr)\+/.test(url) ? 'vcs' : 'distribution';
      if (!component.externalReferences.some((r) => r.url === url)) component.externalReferences.push({ type, url });
    }
    if (version === undefined) unpinned.add(`${requirement.normalized}${formatSpecifiers(requirement.specifiers)}`);
  }

  for (const component of byRefMap.values()) {
    component.properties = uniqueProperties(component.properties);
    sortPythonProperties(component);
  }

  if (unpinned.size > 0) {
    notes.push(
      `${target.shown}: ${unpinned.size} requirement(s) not pinned with == or ===, listed without a version: ${[...unpinned].sort().join(', ')}`,
    );
  }
  for (const line of tree.unnamed) {
    notes.push(
      `${shown(line.file)}:${line.line}: '${line.location ?? line.text}' names a file or repository, not a project: not catalogued`,
    );
  }
  for (const line of tree.unparsed)
    notes.push(`${shown(line.file)}:${line.line}: '${line.text}' is not a requirement pip can read: skipped`);
  for (const skipped of tree.notFollowed) {
    notes.push(`${shown(skipped.from)}:${skipped.line}: the include '${skipped.target}' is a URL and was not fetched`);
  }
  const unreadable = tree.missing.map((m) => ({
    file: shown(m.file),
    reason: `included by ${shown(m.from)}:${m.line} but cannot be read (${m.reason}): its requirements are missing from the SBOM`,
  }));
  return { components: [...byRefMap.values()].sort(byPythonRef), notes, unreadable };
}

/** requirements.txt and its -r / -c chains. */
export const pythonRequirementsCataloger: Cataloger = {
  kind: 'python-requirements',
  role: 'lockfile',
  matches: (c) =>
    REQUIREMENTS_NAME.test(c.name) ||
    (/(^|\/)requirements\/[^/]+\.txt$/.test(c.relative) && looksLikeRequirements(c.head)) ||
    (c.explicit && c.name.endsWith('.txt') && looksLikeRequirements(c.head)),
  catalog: catalogRequirements,
};
