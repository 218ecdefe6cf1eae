import { FactoryError } from '@packaging-factory/core';

/**
 * Characters that mean something to a shell. The `command` input is never given to a shell, so a
 * value using them would run something other than the user meant: refuse it and ask for JSON.
 */
const SHELL_SYNTAX = /['"`$|&;<>()\\*?{}~]/;

/**
 * Turns the `command` input into argv: a JSON array of strings (`["hello","--version"]`), or a
 * simple command split on whitespace (`hello --version`) with no quoting, expansion or operators.
 */
export function parseDetectionCommand(text: string, inputName = 'command'): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new FactoryError('INPUT_INVALID', `input '${inputName}' starts with '[' but is not a JSON array: ${(error as Error).message}`, {
        cause: error,
        subject: inputName,
        hint: 'write it as a JSON array of strings, e.g. ["hello-factory","--version"]',
      });
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((item) => typeof item === 'string')) {
      throw new FactoryError('INPUT_INVALID', `input '${inputName}' must be a non-empty JSON array of strings`, {
        subject: inputName,
        hint: 'e.g. ["hello-factory","--version"]',
      });
    }
    const argv = parsed;
    if (argv[0] === '' || argv.some((a) => a.includes('\0'))) {
      throw new FactoryError('INPUT_INVALID', `input '${inputName}' has an empty program name or a NUL character`, { subject: inputName });
    }
    return argv;
  }
  const argv = trimmed.split(/\s+/).filter((a) => a !== '');
  if (argv.length === 0) {
    throw new FactoryError('INPUT_INVALID', `input '${inputName}' is empty`, { subject: inputName });
  }
  const bad = argv.find((a) => SHELL_SYNTAX.test(a));
  if (bad !== undefined) {
    throw new FactoryError('INPUT_INVALID', `input '${inputName}' uses shell syntax ('${bad}') but is run without a shell`, {
      subject: inputName,
      hint: 'give the exact arguments as a JSON array, e.g. ["sh","-c","hello | grep 1.0"] if you really want a shell',
    });
  }
  return argv;
}
