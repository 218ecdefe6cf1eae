import { stringify } from 'yaml';
import type { StageDefinition } from '@packaging-factory/core';
import { COMMON_INPUTS, COMMON_OUTPUTS } from '../../actions/common/src/common-inputs.ts';

/** Branding per action (Feather icon names, as GitHub Marketplace requires). */
export const BRANDING: Record<string, { icon: string; color: string }> = {
  'build-package': { icon: 'package', color: 'blue' },
  'generate-sbom': { icon: 'list', color: 'green' },
  scan: { icon: 'shield', color: 'red' },
  sign: { icon: 'lock', color: 'purple' },
  'test-install': { icon: 'check-square', color: 'green' },
  'attest-provenance': { icon: 'award', color: 'orange' },
  publish: { icon: 'upload-cloud', color: 'blue' },
  verify: { icon: 'check-circle', color: 'green' },
};

/** Defaults that are workflow expressions in action.yml but plain values elsewhere. */
const ACTION_DEFAULTS: Record<string, Record<string, string>> = {
  publish: { token: '${{ github.token }}' },
};

/**
 * Renders actions/<name>/action.yml from the stage definition: the definition is the one place the
 * input and output names live; the committed action.yml is checked against this rendering.
 */
export function renderActionYml(definition: StageDefinition<unknown>): string {
  const inputs: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries({ ...definition.inputs, ...COMMON_INPUTS })) {
    const entry: Record<string, unknown> = { description: describe(spec.description, spec.choices, spec.kind) };
    entry['required'] = spec.required === true;
    const fallback = ACTION_DEFAULTS[definition.name]?.[name] ?? spec.default;
    if (fallback !== undefined) entry['default'] = fallback;
    inputs[name] = entry;
  }
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries({ ...definition.outputs, ...COMMON_OUTPUTS }))
    outputs[name] = { description: spec.description };
  const document = {
    name: `Packaging Factory: ${definition.title}`,
    description: definition.description,
    author: 'Packaging Factory',
    branding: BRANDING[definition.name],
    inputs,
    outputs,
    runs: { using: 'node24', main: `../../dist/${definition.name}/index.js` },
  };
  const header = `# Generated from the stage definition by test/actions/action-yml.test.ts (UPDATE_GOLDEN=1 rewrites it).\n`;
  return header + stringify(document, { lineWidth: 0 });
}

function describe(description: string, choices: readonly string[] | undefined, kind: string): string {
  const parts = [description];
  if (choices !== undefined) parts.push(`One of: ${choices.join(', ')}.`);
  if (kind === 'paths') parts.push('One per line (globs allowed where stated).');
  if (kind === 'secret') parts.push('Secret: pass it from a secret; it is masked in logs.');
  return parts.join(' ');
}
