import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';

/** Set in the re-run process so it never tries again. */
const ELEVATED_MARK = 'PACKAGING_FACTORY_ELEVATED';

/**
 * Re-runs this action under `sudo -n` when its stage needs root and the runner user is not root
 * (GitHub-hosted Linux runners run actions as `runner` with passwordless sudo). Returns the child's
 * exit code, or undefined when no re-run happened (already root, not Linux, no usable sudo): then the
 * stage runs here and fails closed with its own error if it truly cannot work.
 */
export async function rerunAsRoot(): Promise<number | undefined> {
  if (process.platform !== 'linux' || process.getuid?.() === 0 || process.env[ELEVATED_MARK] === '1') return undefined;
  const sudo = await findSudo();
  if (sudo === undefined) return undefined;
  if ((await runInherit(sudo, ['-n', 'true'], process.env)) !== 0) return undefined;
  const script = process.argv[1];
  if (script === undefined) return undefined;
  // --preserve-env keeps the INPUT_*, GITHUB_* and RUNNER_* variables the runner set for this step;
  // the marker stops a second re-run. The child writes the same output and summary files.
  return runInherit(sudo, ['-n', '--preserve-env', process.execPath, script], { ...process.env, [ELEVATED_MARK]: '1' });
}

async function findSudo(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/sudo', '/bin/sudo']) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function runInherit(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}
