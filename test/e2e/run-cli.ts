import { spawn } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const cliBundle = path.join(repoRoot, 'dist', 'cli', 'index.js');
/** Node 24 from the devDependency `node`, as npm scripts run it. */
export const node24 = path.join(repoRoot, 'node_modules', '.bin', 'node');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the shipped CLI bundle asynchronously, the way a user's shell would. */
export function runFactory(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; node?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.node ?? node24, [cliBundle, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
