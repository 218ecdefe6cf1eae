import type { InputSpec, OutputSpec } from '@packaging-factory/core';

/** Inputs every action takes on top of its stage's own: where the run's evidence lives. */
export const COMMON_INPUTS: Readonly<Record<'evidence-pack' | 'event-log' | 'correlation-id', InputSpec>> = {
  'evidence-pack': {
    description:
      'Path of the run evidence pack (JSON). Loaded when it exists (download the artifact of earlier jobs first), created otherwise; this stage appends one record.',
    kind: 'path',
    default: 'factory-evidence/evidence-pack.json',
  },
  'event-log': {
    description: 'Path of the JSONL event log. Default: events.jsonl beside the evidence pack.',
    kind: 'path',
  },
  'correlation-id': {
    description:
      'Correlation id tying every stage of a run together. Default: the one in the evidence pack, else derived from GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT.',
    kind: 'string',
  },
};

/** Outputs every action sets. */
export const COMMON_OUTPUTS: Readonly<Record<'evidence-pack' | 'correlation-id' | 'status', OutputSpec>> = {
  'evidence-pack': { description: 'Path of the evidence pack this stage appended its record to.' },
  'correlation-id': { description: 'Correlation id of the run.' },
  status: { description: 'passed or failed.' },
};
