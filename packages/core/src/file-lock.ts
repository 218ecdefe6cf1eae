import { open, rm, stat } from 'node:fs/promises';
import { FactoryError } from './errors.ts';

export interface FileLockOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** A lock older than this is left over by a killed process and is broken (default 120 s). */
  staleMs?: number;
}

/**
 * Runs `fn` holding an exclusive lock beside `file` (`<file>.lock`, created with O_EXCL, which is
 * atomic on local filesystems): two stages appending to one evidence pack at once must not lose
 * each other's records.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lock = `${file}.lock`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 120_000;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > staleMs) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() - started > timeoutMs) {
        throw new FactoryError('EVIDENCE_INVALID', `evidence pack ${file} is locked by another process (${lock})`, {
          cause: error,
          subject: lock,
          hint: 'wait for the other stage to finish; remove the lock file only if no factory process is running',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(25 * 2 ** Math.min(attempt, 4), 400)));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
