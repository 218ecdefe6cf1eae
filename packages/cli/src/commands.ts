import type { StageDefinition } from '@packaging-factory/core';
import { buildPackageStage } from '@packaging-factory/formats';
import { generateSbomStage } from '@packaging-factory/sbom';
import { scanStage } from '@packaging-factory/vuln';
import { signStage, verifyStage } from '@packaging-factory/signing';
import { testInstallStage } from '@packaging-factory/install-test';
import { attestProvenanceStage } from '@packaging-factory/provenance';
import { publishStage } from '@packaging-factory/publish';

export interface StageCommand {
  /** The subcommand, equal to the action's name. */
  name: string;
  aliases: string[];
  definition: StageDefinition<unknown>;
  /** Defaults that differ on a workstation (publish goes to a local release directory). */
  cliDefaults: Record<string, string>;
}

// The registry holds stages of different option types; each is only ever fed its own parse output.
const erase = <O>(definition: StageDefinition<O>): StageDefinition<unknown> => definition;

/** One subcommand per stage; flags are the action's inputs, with the same names. */
export const STAGE_COMMANDS: StageCommand[] = [
  { name: 'build-package', aliases: ['build'], definition: erase(buildPackageStage), cliDefaults: {} },
  { name: 'generate-sbom', aliases: ['sbom'], definition: erase(generateSbomStage), cliDefaults: {} },
  { name: 'scan', aliases: [], definition: erase(scanStage), cliDefaults: {} },
  { name: 'sign', aliases: [], definition: erase(signStage), cliDefaults: {} },
  { name: 'test-install', aliases: [], definition: erase(testInstallStage), cliDefaults: {} },
  { name: 'attest-provenance', aliases: ['attest'], definition: erase(attestProvenanceStage), cliDefaults: {} },
  { name: 'publish', aliases: [], definition: erase(publishStage), cliDefaults: { to: 'dir:factory-out/release' } },
  { name: 'verify', aliases: [], definition: erase(verifyStage), cliDefaults: {} },
];

export function findCommand(name: string): StageCommand | undefined {
  return STAGE_COMMANDS.find((c) => c.name === name || c.aliases.includes(name));
}
