import { FactoryError, type Logger } from '@packaging-factory/core';
import { compareTimestamps, databaseDigest, OsvDatabase, resolveRecords, type OsvDatabaseInfo } from '../osv-database.ts';
import type { OsvRecord } from '../osv-record.ts';
import { validateOsvRecord } from '../osv-schema-validator.ts';
import type { PackageQuery } from '../sbom-components.ts';
import { addMemoryRecord } from './database-loader.ts';
import { OsvApiClient, OsvApiHttpError, type OsvApiClientOptions, type OsvApiQuery } from './osv-api-client.ts';
import { OsvRecordCache } from './osv-api-cache.ts';
import { RecordStore, RecordTable } from './record-store.ts';

export interface OsvApiDatabaseOptions extends OsvApiClientOptions {
  /** Directory of the on-disk record cache; no cache when absent. */
  cacheDir?: string;
  /** Refuse to use the network: fails closed with SCAN_DB_UNAVAILABLE naming the URL. */
  offline?: boolean;
  logger?: Logger;
}

/** The API queries for package queries: one per (package, version) looked up, ecosystem with its release. */
export function osvApiQueries(queries: readonly PackageQuery[]): OsvApiQuery[] {
  const seen = new Set<string>();
  const out: OsvApiQuery[] = [];
  for (const query of queries) {
    const ecosystem = query.release === undefined ? query.ecosystem : `${query.ecosystem}:${query.release}`;
    for (const lookup of query.lookups) {
      const key = `${ecosystem}\u0000${lookup.name}\u0000${lookup.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ecosystem, name: lookup.name, version: lookup.version });
    }
  }
  return out;
}

/**
 * A database of the records the OSV API reports for these queries: `POST /v1/querybatch` for the
 * (id, modified) pairs, then each record from the cache when it is as new as reported, else from
 * `GET /v1/vulns/{id}` (bounded concurrency) into the cache. Every record is checked against the
 * OSV schema. The matcher then evaluates the records locally, as for an offline database; the
 * digest covers the bytes the API served, so a repeated scan shows whether the data changed.
 */
export async function fetchOsvApiDatabase(queries: readonly OsvApiQuery[], options: OsvApiDatabaseOptions = {}): Promise<OsvDatabase> {
  const client = new OsvApiClient(options);
  if (options.offline === true) {
    throw new FactoryError('SCAN_DB_UNAVAILABLE', `the OSV API at ${client.baseUrl} cannot be used offline`, {
      subject: client.baseUrl,
      hint: 'scan against an offline database (a directory of OSV records or an osv.dev all.zip), or allow network access',
    });
  }
  const batches = await client.queryBatch(queries);
  // An id reported by several queries is fetched once, against the newest modified any of them reports.
  const wanted = new Map<string, string>();
  for (const summary of batches.flat()) {
    const known = wanted.get(summary.id);
    if (known === undefined || compareTimestamps(summary.modified, known) > 0) wanted.set(summary.id, summary.modified);
  }
  const ids = [...wanted.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const cache = options.cacheDir === undefined ? undefined : new OsvRecordCache(options.cacheDir);
  const fetched = new Array<{ bytes: Buffer; record: OsvRecord }>(ids.length);
  const warnings: string[] = [];
  let hits = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const index = next++;
      const id = ids[index]!;
      const modified = wanted.get(id)!;
      const cached = await cache?.get(id, modified);
      if (cached !== undefined) {
        hits++;
        // Checked again: the cache directory is as trustworthy as any other file on the runner.
        fetched[index] = {
          bytes: cached,
          record: checkedRecord(JSON.parse(cached.toString('utf8')), id, `${cache!.dir} (cache of ${id})`),
        };
        continue;
      }
      let answer;
      try {
        answer = await client.getVuln(id);
      } catch (error) {
        if (error instanceof OsvApiHttpError && error.status === 404) {
          throw new FactoryError('SCAN_DB_UNAVAILABLE', `${client.url(`/v1/vulns/${id}`)} does not know ${id}, which querybatch reported`, {
            subject: client.baseUrl,
            hint: 'the API answered inconsistently; run the scan again later',
            cause: error,
          });
        }
        throw error;
      }
      const record = checkedRecord(answer.record, id, client.url(`/v1/vulns/${id}`));
      if (compareTimestamps(record.modified, modified) < 0) {
        warnings.push(`${id}: /v1/vulns served modified ${record.modified}, older than the ${modified} querybatch reported`);
      }
      await cache?.put(id, answer.bytes);
      fetched[index] = { bytes: answer.bytes, record };
    }
  };
  await Promise.all(Array.from({ length: Math.min(client.concurrency, Math.max(1, ids.length)) }, worker));
  options.logger?.info(
    `OSV API ${client.baseUrl}: ${queries.length} quer${queries.length === 1 ? 'y' : 'ies'}, ${ids.length} record(s) (${hits} from the cache${cache === undefined ? ', no cache' : ` in ${cache.dir}`})`,
  );
  for (const warning of warnings) options.logger?.warn(`OSV API: ${warning}`, client.baseUrl);

  const table = new RecordTable();
  for (const { bytes, record } of fetched) addMemoryRecord(table, record, client.url(`/v1/vulns/${record.id}`), bytes);
  const resolved = resolveRecords(table, warnings);
  const info: OsvDatabaseInfo = {
    path: client.baseUrl,
    files: table.length,
    bytes: table.bytes.reduce((a, b) => a + b, 0),
    records: resolved.inUse.length,
    withdrawn: resolved.withdrawn,
    duplicates: resolved.duplicates,
    sha256: databaseDigest(table),
    snapshot: resolved.snapshot,
    warnings,
    kind: 'osv-api',
    sources: [{ path: client.baseUrl, kind: 'osv-api' }],
    validation: 'all',
  };
  return new OsvDatabase(info, { store: new RecordStore(table, [], 'all', warnings, client.baseUrl), inUse: resolved.inUse });
}

function checkedRecord(parsed: unknown, id: string, url: string): OsvRecord {
  const result = validateOsvRecord(parsed);
  if (result.errors.length > 0) {
    throw new FactoryError(
      'SCAN_DB_UNAVAILABLE',
      `${url} answered a record that does not match the OSV schema: ${result.errors.slice(0, 5).join('; ')}`,
      {
        subject: url,
        hint: 'the API answered an unexpected record; run the scan again later or use an offline database',
      },
    );
  }
  const record = parsed as OsvRecord;
  if (record.id !== id) {
    throw new FactoryError('SCAN_DB_UNAVAILABLE', `${url} answered the record ${String(record.id)}, not ${id}`, { subject: url });
  }
  return record;
}
