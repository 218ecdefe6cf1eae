import type { SbomComponent } from '../sbom-component.ts';

/**
 * Deterministic order for what the app-package catalogers return: properties by name then value,
 * components (and their children) by ref.
 */
export function sortComponent(component: SbomComponent): SbomComponent {
  component.properties.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  component.children = sortComponents(component.children);
  return component;
}

export function sortComponents(components: SbomComponent[]): SbomComponent[] {
  return components.map(sortComponent).sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}
