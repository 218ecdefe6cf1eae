export { runCli, FACTORY_VERSION } from './cli.ts';
export { STAGE_COMMANDS, findCommand } from './commands.ts';
export { pipelineSchema, loadPipeline, PIPELINE_STAGES, WIRED_INPUTS } from './pipeline.ts';
export { runPipeline } from './run-pipeline.ts';
