/**
 * bench/scan: load time, peak RSS and match time of the offline OSV database on a synthetic
 * 200,000-record database shaped like osv.dev's (see generate-database.ts), as per-ecosystem
 * all.zip dumps and as a directory of JSON files, and 10,000 components matched.
 *
 * Run with Node 24 (it strips the types of this file): `node_modules/.bin/node bench/scan/run.ts`
 * Options: --records N (200000) --components N (10000) --runs N (3) --work DIR (reused between runs)
 *
 * The measured code is bundled with ncc (transpile only) into the work directory and each run is a
 * fresh child process; medians over the runs are printed with the targets of the scan issue.
 * A benchmark, not a test: it asserts nothing and is not part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateComponents, generateDatabase, type GeneratedDatabase } from './generate-database.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const fixtureDb = path.resolve(root, '..', 'shared', 'fixtures', 'osv-matching', 'db');

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : (process.argv[index + 1] ?? fallback);
}

const records = Number(option('records', '200000'));
const componentCount = Number(option('components', '10000'));
const runs = Number(option('runs', '3'));
const work = path.resolve(option('work', path.join(os.tmpdir(), `factory-bench-scan-${records}`)));

interface Measurement {
  records: number;
  recordBytes: number;
  digest: string;
  loadMs: number;
  loadCpuMs: number;
  loadPeakMiB: number;
  components: number;
  evaluated: number;
  affected: number;
  matches: number;
  matchMs: number;
  matchCpuMs: number;
  /** A second pass over the same components: the matcher alone, every record already parsed. */
  rematchMs: number;
  peakMiB: number;
  /** From /usr/bin/time -v when installed: the child's maximum resident set size. */
  timeMaxRssMiB?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function prepare(): Promise<{ generated: GeneratedDatabase; componentsFile: string }> {
  mkdirSync(work, { recursive: true });
  const marker = path.join(work, 'generated.json');
  let generated: GeneratedDatabase;
  if (existsSync(marker)) {
    generated = JSON.parse(readFileSync(marker, 'utf8')) as GeneratedDatabase;
    console.log(`reusing the database in ${work}`);
  } else {
    console.log(`generating ${records} records into ${work} (once; reused with --work)...`);
    const started = performance.now();
    generated = await generateDatabase({ fixtureDb, outDir: work, count: records, json: true });
    writeFileSync(marker, JSON.stringify(generated, null, 2));
    console.log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const componentsFile = path.join(work, `components-${componentCount}.json`);
  const components = await generateComponents({ fixtureDb, generated, count: componentCount });
  writeFileSync(componentsFile, JSON.stringify(components));
  return { generated, componentsFile };
}

function bundle(): string {
  const out = path.join(work, 'measure-bundle');
  const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  // bench/scan/tsconfig.json sets rootDir: TypeScript 6 refuses a transpile-only build without it (TS5011).
  const result = spawnSync(
    process.execPath,
    [ncc, 'build', path.join(root, 'bench', 'scan', 'measure.ts'), '-o', out, '--transpile-only', '--no-cache', '--target', 'es2022', '-q'],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error(`ncc exited with ${String(result.status)}`);
  return path.join(out, 'index.js');
}

function measure(entry: string, db: string, componentsFile: string, validation: string, preload: boolean): Measurement {
  const args = [entry, '--db', db, '--components', componentsFile, '--validation', validation, ...(preload ? ['--preload'] : [])];
  const timeTool = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const result =
    timeTool === undefined
      ? spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 })
      : spawnSync(timeTool, ['-v', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`measurement failed (${String(result.status)}): ${result.stderr}`);
  const line = result.stdout.trim().split('\n').pop()!;
  const measurement = JSON.parse(line) as Measurement;
  const maxRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr);
  if (maxRss !== null) measurement.timeMaxRssMiB = Number(maxRss[1]) / 1024;
  return measurement;
}

async function main(): Promise<void> {
  const { generated, componentsFile } = await prepare();
  console.log(
    `database: ${generated.records} records, ${(generated.jsonBytes / 1e6).toFixed(0)} MB of JSON; ` +
      Object.entries(generated.perEcosystem)
        .map(([e, n]) => `${e} ${n} (${generated.packages[e]} packages)`)
        .join(', '),
  );
  const entry = bundle();
  const cases = [
    { name: 'all.zip dumps, validation on-use', db: path.join(work, 'zips'), validation: 'on-use', preload: false },
    { name: 'all.zip dumps, validation on-use, preload', db: path.join(work, 'zips'), validation: 'on-use', preload: true },
    { name: 'all.zip dumps, validation all', db: path.join(work, 'zips'), validation: 'all', preload: false },
    { name: 'JSON directory, validation on-use, preload', db: path.join(work, 'json'), validation: 'on-use', preload: true },
  ];
  console.log(
    `host: ${os.cpus().length} CPU(s), load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, node ${process.version}`,
  );
  const rows: string[] = [];
  for (const c of cases) {
    const results: Measurement[] = [];
    for (let i = 0; i < runs; i++) {
      const m = measure(entry, c.db, componentsFile, c.validation, c.preload);
      results.push(m);
      console.log(
        `  ${c.name} run ${i + 1}: load ${(m.loadMs / 1000).toFixed(2)} s (cpu ${(m.loadCpuMs / 1000).toFixed(2)} s), ` +
          `peak ${(m.timeMaxRssMiB ?? m.peakMiB).toFixed(0)} MiB, match ${m.matchMs.toFixed(0)} ms (cpu ${m.matchCpuMs.toFixed(0)} ms; ` +
          `again ${m.rematchMs.toFixed(0)} ms)`,
      );
    }
    const first = results[0]!;
    const loadS = median(results.map((r) => r.loadMs)) / 1000;
    const peak = median(results.map((r) => r.timeMaxRssMiB ?? r.peakMiB));
    const matchMs = median(results.map((r) => r.matchMs));
    rows.push(
      `| ${c.name} | ${first.records} | ${loadS.toFixed(2)} s ${loadS < 5 ? 'ok' : 'OVER'} | ` +
        `${(median(results.map((r) => r.loadCpuMs)) / 1000).toFixed(2)} s | ${peak.toFixed(0)} MiB ${peak < 600 ? 'ok' : 'OVER'} | ` +
        `${matchMs.toFixed(0)} ms ${matchMs < 1000 ? 'ok' : 'OVER'} | ${first.evaluated}/${first.components} | ${first.affected} | ${first.digest} |`,
    );
  }
  console.log(`\nmedians of ${runs} run(s); targets: load < 5 s, peak RSS < 600 MB, ${componentCount} components matched < 1 s`);
  console.log(
    '| source | records | load (wall) | load (cpu) | peak RSS | match (wall) | components in a supported ecosystem | affected | digest |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
