import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { FactoryError, PIPELINE_STAGES, type PipelineStageName, type StageDefinition } from '@packaging-factory/core';
import { STAGE_COMMANDS } from './commands.ts';

/** The pipeline order `factory run` follows (verify is the consumer's command, not a pipeline stage). */
export { PIPELINE_STAGES };
export type PipelineStage = PipelineStageName;

/** Inputs `factory run` wires from one stage's outputs to the next; a pipeline file may not set them. */
export const WIRED_INPUTS: Record<PipelineStage, readonly string[]> = {
  'build-package': ['output-dir'],
  'generate-sbom': ['paths', 'output'],
  scan: ['sbom', 'output'],
  sign: ['files', 'output-dir'],
  'test-install': ['package', 'output-dir'],
  'attest-provenance': ['subjects', 'output-dir'],
  publish: ['files'],
};

export type PipelineValue = string | number | boolean | string[];

export interface PipelineConfig {
  version: 1;
  name?: string;
  stages: Partial<Record<PipelineStage, Record<string, PipelineValue>>>;
}

export const PIPELINE_SCHEMA_ID = 'https://packaging-factory.dev/schemas/pipeline-1.json';

function definitionOf(stage: PipelineStage): StageDefinition<unknown> {
  const command = STAGE_COMMANDS.find((c) => c.name === stage);
  if (command === undefined) throw new Error(`bug: no stage command for ${stage}`);
  return command.definition;
}

/** The pipeline config's JSON Schema, derived from the stages' inputs (committed as packages/cli/schema/pipeline.schema.json). */
export function pipelineSchema(): Record<string, unknown> {
  const stages: Record<string, unknown> = {};
  for (const stage of PIPELINE_STAGES) {
    const definition = definitionOf(stage);
    const properties: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(definition.inputs)) {
      if (WIRED_INPUTS[stage].includes(name)) continue;
      const description = spec.default === undefined ? spec.description : `${spec.description} Default: ${spec.default}.`;
      if (spec.kind === 'boolean') properties[name] = { type: 'boolean', description };
      else if (spec.kind === 'choice') properties[name] = { enum: [...(spec.choices ?? [])], description };
      else if (spec.kind === 'number') properties[name] = { type: ['number', 'string'], description };
      else if (spec.kind === 'paths' || (spec.kind === 'string' && /list|one per line/i.test(spec.description)))
        properties[name] = { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description };
      else properties[name] = { type: 'string', description };
    }
    stages[stage] = {
      type: 'object',
      description: `${definition.title}: ${definition.description} Keys are the ${stage} action's inputs; paths are relative to the pipeline file.`,
      additionalProperties: false,
      properties,
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: PIPELINE_SCHEMA_ID,
    title: 'Packaging Factory pipeline',
    description:
      'What `factory run` does: the inputs of each stage, with the same names as the actions take. Outputs of one stage are wired into the next.',
    type: 'object',
    additionalProperties: false,
    required: ['version', 'stages'],
    properties: {
      $schema: { type: 'string' },
      version: { const: 1 },
      name: { type: 'string' },
      stages: { type: 'object', additionalProperties: false, required: ['build-package'], properties: stages },
    },
  };
}

/** Loads and validates a pipeline file; paths inside stay relative to it (the runner resolves them). */
export async function loadPipeline(file: string): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FactoryError('FILE_NOT_FOUND', `pipeline file ${file} cannot be read`, {
      cause: error,
      subject: file,
      hint: 'pass the path of a pipeline YAML file (see examples/hello/pipeline.yml)',
    });
  }
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new FactoryError('PIPELINE_INVALID', `pipeline file ${file} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
      subject: file,
    });
  }
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(pipelineSchema());
  if (!validate(document)) {
    const problems = (validate.errors ?? []).map(
      (e) =>
        `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params['additionalProperty'])}'` : ''}`,
    );
    throw new FactoryError(
      'PIPELINE_INVALID',
      `pipeline file ${file} does not match the pipeline schema: ${problems.slice(0, 6).join('; ')}`,
      {
        subject: file,
        hint: 'keys under stages.<stage> are that action’s inputs; see packages/cli/schema/pipeline.schema.json',
      },
    );
  }
  return document as PipelineConfig;
}

/** Turns one stage's config values into raw action-style inputs, resolving path inputs against the pipeline dir. */
export function rawInputsFor(
  stage: PipelineStage,
  values: Record<string, PipelineValue> | undefined,
  baseDir: string,
): Record<string, string> {
  const definition = definitionOf(stage);
  const raw: Record<string, string> = {};
  for (const [name, value] of Object.entries(values ?? {})) {
    const spec = definition.inputs[name];
    const items = Array.isArray(value) ? value : [String(value)];
    const resolved =
      spec !== undefined && (spec.kind === 'path' || spec.kind === 'paths') ? items.map((item) => path.resolve(baseDir, item)) : items;
    raw[name] = resolved.join('\n');
  }
  return raw;
}
