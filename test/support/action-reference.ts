import type { StageDefinition } from '@packaging-factory/core';
import { COMMON_INPUTS, COMMON_OUTPUTS } from '../../actions/common/src/common-inputs.ts';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's per-action reference: inputs and outputs straight from the stage definitions. */
export function renderActionReference(definitions: StageDefinition<unknown>[]): string {
  const parts: string[] = [];
  for (const d of definitions) {
    parts.push(
      `### ${d.name}`,
      '',
      d.description,
      '',
      `\`uses: <org>/packaging-factory/actions/${d.name}@v1\` · CLI: \`factory ${d.name}${d.positional ? ` ${d.positional.toUpperCase()}...` : ''}\``,
      '',
    );
    parts.push('| input | required | default | description |', '|---|---|---|---|');
    for (const [name, spec] of Object.entries(d.inputs)) {
      const choices = spec.choices ? ` One of: ${spec.choices.join(', ')}.` : '';
      parts.push(
        `| \`${name}\` | ${spec.required === true ? 'yes' : 'no'} | ${spec.default !== undefined ? `\`${cell(spec.default)}\`` : ''} | ${cell(spec.description)}${choices} |`,
      );
    }
    parts.push('', '| output | description |', '|---|---|');
    for (const [name, spec] of Object.entries(d.outputs)) parts.push(`| \`${name}\` | ${cell(spec.description)} |`);
    parts.push('');
  }
  parts.push(
    '### Common to every action',
    '',
    '| input | default | description |',
    '|---|---|---|',
    ...Object.entries(COMMON_INPUTS).map(
      ([n, s]) => `| \`${n}\` | ${s.default !== undefined ? `\`${s.default}\`` : ''} | ${cell(s.description)} |`,
    ),
    '',
    '| output | description |',
    '|---|---|',
    ...Object.entries(COMMON_OUTPUTS).map(([n, s]) => `| \`${n}\` | ${cell(s.description)} |`),
    '',
  );
  return parts.join('\n');
}
