import type { DatabaseSourceFile } from './database-loader.ts';
import type { OsvDatabase } from '../osv-database.ts';

/**
 * What the evidence pack records about the vulnerability data a scan used, so the scan can be
 * repeated against the same data and a difference in data told apart from a difference in code.
 */
export interface DatabaseProvenance {
  /** `directory`, `zip` (one archive), `osv-api` or `memory`. */
  kind: NonNullable<OsvDatabase['info']['kind']>;
  /** The directory, archive or API base URL given. */
  location: string;
  /** Each archive (with its sha256 and newest entry time), directory of JSON records, or API read. */
  sources: DatabaseSourceFile[];
  /**
   * The data's point in time: the newest `modified` of any record read. Derived from the records,
   * not from file times, so the same data gives the same value wherever it was downloaded.
   */
  snapshot: string;
  /** Records read, in use, withdrawn, and ids seen more than once. */
  counts: { read: number; inUse: number; withdrawn: number; duplicates: number };
  /**
   * sha256 over the sorted lines `<id>\t<modified>\t<sha256 of the record's bytes>\n`, one per
   * record read. The record bytes are the source's own (file, ZIP entry, API body): a canonical
   * re-serialisation (RFC 8785) of 200,000 records was measured at about 7 s of CPU, over the whole
   * load budget, so equal content with different whitespace counts as different data.
   */
  digest: { algorithm: 'sha256'; value: string; over: string };
  /** When the records were checked against the full OSV schema (`all` while loading, `on-use` on lookup). */
  validation: 'all' | 'on-use';
}

/** The provenance of a loaded database, for the evidence pack. */
export function databaseProvenance(database: OsvDatabase): DatabaseProvenance {
  const info = database.info;
  return {
    kind: info.kind ?? 'memory',
    location: info.path,
    sources: (info.sources ?? []).map((source) => ({ ...source })),
    snapshot: info.snapshot,
    counts: { read: info.files, inUse: info.records, withdrawn: info.withdrawn, duplicates: info.duplicates },
    digest: {
      algorithm: 'sha256',
      value: info.sha256,
      over: 'sorted lines "<id>\\t<modified>\\t<sha256 of the record bytes>\\n", one per record read',
    },
    validation: info.validation ?? 'on-use',
  };
}
