import { readFile } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';
import { isPoetryMainPackage, parsePoetryLock, type PoetryPackage } from '@packaging-factory/formats';
import type { Cataloger, CatalogOutput, CatalogTarget } from '../cataloger.ts';
import { newComponent, type SbomComponent } from '../sbom-component.ts';
import { byPythonRef, pythonPurl, sortPythonProperties } from './python-component.ts';

/**
 * poetry.lock: one component per locked package, linked to the locked packages its
 * `[package.dependencies]` name. Packages only in non-main groups (lock 1.x category "dev")
 * are development tools: `excluded`, as npm's dev packages are. A git source's
 * resolved_reference is the commit the lock pins.
 */

function purlOf(pkg: PoetryPackage): string {
  return pythonPurl(pkg.normalized, pkg.version);
}

function componentOf(pkg: PoetryPackage, source: string): SbomComponent {
  const ref = purlOf(pkg);
  const scope: SbomComponent['scope'] = !isPoetryMainPackage(pkg) ? 'excluded' : pkg.optional ? 'optional' : 'required';
  const component = newComponent({ ref, type: 'library', ecosystem: 'pypi', name: pkg.normalized, version: pkg.version, purl: ref, scope });
  if (pkg.description !== undefined) component.description = pkg.description;
  const props = component.properties;
  props.push(['packaging-factory:source', source]);
  if (pkg.name !== pkg.normalized) props.push(['packaging-factory:pypi:Name', pkg.name]);
  if (pkg.category !== undefined) props.push(['packaging-factory:pypi:category', pkg.category]);
  for (const group of pkg.groups ?? []) props.push(['packaging-factory:pypi:group', group]);
  if (pkg.pythonVersions !== undefined) props.push(['packaging-factory:pypi:Requires-Python', pkg.pythonVersions]);
  for (const hash of pkg.fileHashes) props.push(['packaging-factory:pypi:hash', hash]);
  const src = pkg.source;
  if (src !== undefined) {
    props.push(['packaging-factory:pypi:source-type', src.type]);
    if (src.url !== undefined) props.push(['packaging-factory:pypi:source-url', src.url]);
    if (src.reference !== undefined) props.push(['packaging-factory:pypi:source-reference', src.reference]);
    if (src.type === 'git' && src.resolvedReference !== undefined) props.push(['packaging-factory:pypi:commit', src.resolvedReference]);
    if (src.type === 'git' && src.url !== undefined) component.externalReferences.push({ type: 'vcs', url: src.url });
    else if (src.type === 'legacy' && src.url !== undefined) component.externalReferences.push({ type: 'distribution', url: src.url });
  }
  return component;
}

/** Catalogues one poetry.lock. */
export async function catalogPoetryLock(target: CatalogTarget): Promise<CatalogOutput> {
  let text: string;
  try {
    text = await readFile(target.file, 'utf8');
  } catch (error) {
    throw new FactoryError('FILE_UNREADABLE', `${target.shown} cannot be read`, { subject: target.shown, cause: error });
  }
  const lock = parsePoetryLock(text, target.shown);
  const byName = new Map<string, PoetryPackage[]>();
  for (const pkg of lock.packages) byName.set(pkg.normalized, [...(byName.get(pkg.normalized) ?? []), pkg]);
  const components = new Map<string, SbomComponent>();
  for (const pkg of lock.packages) {
    const component = components.get(purlOf(pkg)) ?? componentOf(pkg, target.shown);
    components.set(component.ref, component);
    for (const dep of pkg.dependencies) {
      const locked = byName.get(dep.normalized) ?? [];
      // Optional dependencies are installed only with an extra of this package: stated, not linked.
      if (dep.optional || locked.length === 0) {
        component.properties.push([
          'packaging-factory:pypi:dependency',
          `${dep.name} ${dep.constraint}${dep.optional ? ' (optional)' : ''}`,
        ]);
        continue;
      }
      // A name locked at several versions (per-environment markers) depends on each.
      for (const target of locked) if (purlOf(target) !== component.ref) component.dependsOn.add(purlOf(target));
    }
  }
  for (const component of components.values()) sortPythonProperties(component);
  return { components: [...components.values()].sort(byPythonRef), notes: [], unreadable: [] };
}

/** poetry.lock files (by name; a file named directly when it reads as a Poetry lock). */
export const poetryLockCataloger: Cataloger = {
  kind: 'poetry-lock',
  role: 'lockfile',
  matches: (c) =>
    c.name === 'poetry.lock' ||
    (c.explicit &&
      c.name.endsWith('.lock') &&
      /^(\s*#[^\n]*\n)*\s*(\[\[package\]\]|package\s*=|\[metadata\])/.test(c.head.toString('utf8'))),
  catalog: catalogPoetryLock,
};
