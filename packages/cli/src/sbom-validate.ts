import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { validateSbomFile } from '@packaging-factory/sbom';
import type { CliIo } from './stage-command.ts';

export const SBOM_VALIDATE_USAGE = `factory sbom validate FILE...

Checks each CycloneDX (1.5, 1.6) or SPDX (2.3) JSON document against its official JSON schema.
Exit codes: 0 every file valid, 1 a file fails its schema, 2 a file is missing, not JSON or not an SBOM we know.`;

/** Errors shown per invalid file; the rest are counted. */
const SHOWN_ERRORS = 20;

/** `factory sbom validate FILE...`: exit 0 when every document is schema-valid, 1 when one is not. */
export async function runSbomValidate(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(SBOM_VALIDATE_USAGE);
    return 0;
  }
  const options = args.filter((a) => a.startsWith('-'));
  if (options.length > 0) {
    throw new FactoryError('INPUT_INVALID', `factory sbom validate takes files only, got ${options.join(' ')}`, {
      hint: SBOM_VALIDATE_USAGE.split('\n')[0],
    });
  }
  if (args.length === 0)
    throw new FactoryError('INPUT_INVALID', 'factory sbom validate needs at least one file', { hint: SBOM_VALIDATE_USAGE.split('\n')[0] });
  let invalid = 0;
  for (const file of args) {
    const result = await validateSbomFile(path.resolve(io.cwd, file));
    const kind = `${result.format === 'spdx' ? 'SPDX' : 'CycloneDX'} ${result.specVersion}`;
    if (result.errors.length === 0) {
      io.out(`${file}: valid ${kind}`);
      continue;
    }
    invalid += 1;
    io.out(`${file}: INVALID ${kind} (${result.errors.length} schema error${result.errors.length === 1 ? '' : 's'})`);
    for (const error of result.errors.slice(0, SHOWN_ERRORS)) io.out(`  ${error}`);
    if (result.errors.length > SHOWN_ERRORS) io.out(`  … and ${result.errors.length - SHOWN_ERRORS} more`);
  }
  return invalid > 0 ? 1 : 0;
}
