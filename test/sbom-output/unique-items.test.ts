import { newComponent, renderCycloneDxJson, validateCycloneDxJson, type SbomComponent } from '@packaging-factory/sbom';

/** The linear `uniqueItems` check the CycloneDX validator uses in place of ajv's pairwise one. */
describe('uniqueItems in the CycloneDX validator', () => {
  const bom = (components: unknown[]): string => JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components });

  it('still refuses duplicate items, whatever the key order of the duplicates', async () => {
    const a = { type: 'library', name: 'a', version: '1' };
    const reordered = { version: '1', name: 'a', type: 'library' };
    expect(await validateCycloneDxJson(bom([a, { ...a, version: '2' }]))).toEqual([]);
    expect(await validateCycloneDxJson(bom([a, { type: 'library', name: 'b' }, reordered]))).toEqual([
      '/components must NOT have duplicate items (items ## 0 and 2 are identical)',
    ]);
    // Nested arrays too (the components of a component), in 1.5 as in 1.6.
    const file = { type: 'file', name: 'f' };
    const doc15 = JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      version: 1,
      components: [{ type: 'library', name: 'p', components: [file, { name: 'f', type: 'file' }] }],
    });
    expect(await validateCycloneDxJson(doc15, '1.5')).toEqual([
      '/components/0/components must NOT have duplicate items (items ## 0 and 1 are identical)',
    ]);
  });

  it('validates a BOM of 5,000 packages (quadratic pairwise comparison took minutes here)', async () => {
    const components: SbomComponent[] = [];
    for (let i = 0; i < 5000; i += 1) {
      const ref = `pkg:npm/package-${i}@1.0.${i}`;
      const component = newComponent({
        ref,
        purl: ref,
        type: 'library',
        ecosystem: 'npm',
        name: `package-${i}`,
        version: `1.0.${i}`,
        licenses: ['MIT'],
      });
      if (i > 0) component.dependsOn.add(`pkg:npm/package-${i - 1}@1.0.${i - 1}`);
      components.push(component);
    }
    const json = await renderCycloneDxJson({ components, sources: [] });
    expect(await validateCycloneDxJson(json)).toEqual([]);
    expect((JSON.parse(json) as { components: unknown[] }).components).toHaveLength(5000);
  }, 60_000);
});
