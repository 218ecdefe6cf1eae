/**
 * One measurement, run in a fresh child process by run.ts (so each load starts from an empty heap
 * and the peak RSS is this load's own): load the database, digest its provenance, then match the
 * components with the matcher as the scan stage calls it. Prints one JSON line.
 *
 * Usage: node measure.js --db PATH --components FILE [--validation on-use|all] [--preload]
 * --preload: pass the components' packages to the load (LoadOptions.preload), as a scan that reads its SBOM first can.
 */
import { readFileSync } from 'node:fs';
import {
  databaseProvenance,
  ecosystemSupport,
  loadOsvDatabase,
  matchPackage,
  packageKey,
  type PackageQuery,
} from '../../packages/vuln/src/index.ts';
import type { GeneratedComponent } from './generate-database.ts';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? undefined : process.argv[index + 1];
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Peak resident set size so far (VmHWM), in MiB: the kernel's own high-water mark, no sampling gaps. */
function peakRssMiB(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? Number.NaN : Number(match[1]) / 1024;
}

async function main(): Promise<void> {
  const db = option('db');
  const componentsFile = option('components');
  const validation = (option('validation') ?? 'on-use') as 'on-use' | 'all';
  if (db === undefined || componentsFile === undefined)
    throw new Error('usage: measure --db PATH --components FILE [--validation on-use|all]');
  const components = JSON.parse(readFileSync(componentsFile, 'utf8')) as GeneratedComponent[];

  const loadStart = performance.now();
  const loadCpu = cpuMs();
  const preload = process.argv.includes('--preload') ? new Set(components.map((c) => packageKey(c.ecosystem, c.name))) : undefined;
  const database = await loadOsvDatabase(db, undefined, preload === undefined ? { validation } : { validation, preload });
  const provenance = databaseProvenance(database);
  const loadMs = performance.now() - loadStart;
  const loadCpuMs = cpuMs() - loadCpu;
  const loadPeak = peakRssMiB();

  const queries: PackageQuery[] = components.map((c) => {
    const query: PackageQuery = { ecosystem: c.ecosystem, version: c.version, lookups: [{ name: c.name, version: c.version }] };
    if (c.release !== undefined) query.release = c.release;
    return query;
  });
  const matchStart = performance.now();
  const matchCpu = cpuMs();
  let matches = 0;
  let affected = 0;
  for (const query of queries) {
    const found = matchPackage(database, query);
    matches += found.length;
    if (found.length > 0) affected++;
  }
  const matchMs = performance.now() - matchStart;
  const matchCpuMs = cpuMs() - matchCpu;

  // A second pass finds every candidate record parsed already: what is left is the matcher's own work.
  const againStart = performance.now();
  for (const query of queries) matchPackage(database, query);
  const rematchMs = performance.now() - againStart;

  const evaluated = queries.filter((q) => ecosystemSupport(q.ecosystem) !== undefined).length;
  process.stdout.write(
    `${JSON.stringify({
      db,
      validation,
      preload: preload !== undefined,
      records: database.info.records,
      recordBytes: database.info.bytes,
      digest: provenance.digest.value.slice(0, 16),
      loadMs,
      loadCpuMs,
      loadPeakMiB: loadPeak,
      components: queries.length,
      evaluated,
      affected,
      matches,
      matchMs,
      matchCpuMs,
      rematchMs,
      peakMiB: peakRssMiB(),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
