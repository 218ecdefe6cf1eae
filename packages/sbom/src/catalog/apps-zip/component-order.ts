import { compareRefs, sortProperties, type SbomComponent } from '../sbom-component.ts';

/**
 * Deterministic order for what the app-package catalogers return: properties by name then value,
 * components (and their children) by ref.
 */
export function sortComponent(component: SbomComponent): SbomComponent {
  sortProperties(component.properties);
  component.children = sortComponents(component.children);
  return component;
}

export function sortComponents(components: SbomComponent[]): SbomComponent[] {
  return components.map(sortComponent).sort(compareRefs);
}
