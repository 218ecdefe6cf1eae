import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@packaging-factory/core';
import { compareTimestamps } from '../osv-database.ts';
import { recordFacts } from './record-facts.ts';

/**
 * An on-disk cache of OSV records fetched from the API: one file per id (`vulns/<id>.json`, the id
 * percent-encoded), holding the record's bytes exactly as the API served them. An entry answers for
 * (id, modified): it is used only when its own `modified` is at least the one querybatch reports,
 * and fetched again otherwise (the querybatch page: clients "can use the id and modified pair to
 * decide whether a cached record is still fresh"). Writes are atomic (temp file + rename), so a
 * crash or a concurrent scan never leaves half a record.
 */
export class OsvRecordCache {
  constructor(readonly dir: string) {}

  private file(id: string): string {
    // encodeURIComponent leaves no '/' or '\\'; '.' and '..' alone cannot occur with the suffix.
    return path.join(this.dir, 'vulns', `${encodeURIComponent(id)}.json`);
  }

  /** The cached bytes of `id` when they hold a readable record at least as new as `modified`. */
  async get(id: string, modified: string): Promise<Buffer | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file(id));
    } catch {
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      // A damaged entry is a miss: it is fetched and overwritten.
      return undefined;
    }
    const facts = recordFacts(parsed);
    if (typeof facts === 'string' || facts.id !== id) return undefined;
    return compareTimestamps(facts.modified, modified) >= 0 ? bytes : undefined;
  }

  async put(id: string, bytes: Buffer): Promise<void> {
    await mkdir(path.join(this.dir, 'vulns'), { recursive: true });
    await writeFileAtomic(this.file(id), bytes);
  }
}
