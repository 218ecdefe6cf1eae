export * from './npm/npm-lockfile.ts';
export * from './npm/sri-hashes.ts';
export * from './catalog/sbom-component.ts';
export * from './catalog/npm-cataloger.ts';
export * from './catalog/deb-cataloger.ts';
export * from './cyclonedx/cyclonedx-json.ts';
export * from './generate-sbom-stage.ts';
