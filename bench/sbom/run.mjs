#!/usr/bin/env node
// Runs our SBOM generation, @cyclonedx/cdxgen and @cyclonedx/cyclonedx-npm side by side on the inputs built by
// generate.mjs, N measured runs each after a warm-up, and prints per input: median wall time, median CPU time,
// median peak RSS, the ratios peer/ours, and component recall (normalised purls) against the generator's answer
// key and between ours and cdxgen. Writes results.md and results.json beside the inputs.
//
// Usage: node run.mjs [--data DIR] [--runs 5] [--warmup 1] [--factory dist/cli/index.js] [--factory-style auto]
//                     [--inputs npm-lock,npm-tree,debian-rootfs,big-dir] [--tools ours,cdxgen,cyclonedx-npm]
//                     [--node PATH] [--slow-seconds 80] [--slow-runs 1] [--timeout-seconds 1200] [--regenerate]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { GENERATOR_VERSION, INPUT_NAMES, generate } from './generate.mjs';

const here = import.meta.dirname;
const repo = path.resolve(here, '..', '..');

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string', default: path.join(repo, 'bench', '.work', 'sbom') },
    seed: { type: 'string', default: '20240601' },
    regenerate: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    factory: { type: 'string', default: path.join(repo, 'dist', 'cli', 'index.js') },
    'factory-style': { type: 'string', default: 'auto' },
    inputs: { type: 'string', default: INPUT_NAMES.join(',') },
    tools: { type: 'string', default: 'ours,cdxgen,cyclonedx-npm' },
    node: { type: 'string' },
    'slow-seconds': { type: 'string', default: '80' },
    'slow-runs': { type: 'string', default: '1' },
    'timeout-seconds': { type: 'string', default: '1200' },
    'sample-ms': { type: 'string', default: '200' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 9)
      .join('\n')
      .replace(/^\/\/ ?/gm, ''),
  );
  process.exit(0);
}

const dataDir = path.resolve(opts.data);
const runs = Number(opts.runs);
const warmup = Number(opts.warmup);
const slowMs = Number(opts['slow-seconds']) * 1000;
const slowRuns = Number(opts['slow-runs']);
const timeoutMs = Number(opts['timeout-seconds']) * 1000;
const sampleMs = Number(opts['sample-ms']);
const inputs = opts.inputs.split(',').filter(Boolean);
const tools = opts.tools.split(',').filter(Boolean);
for (const name of inputs) if (!INPUT_NAMES.includes(name)) fail(`--inputs: unknown input '${name}' (one of ${INPUT_NAMES.join(', ')})`);
for (const name of tools) if (!['ours', 'cdxgen', 'cyclonedx-npm'].includes(name)) fail(`--tools: unknown tool '${name}'`);

function fail(message) {
  console.error(`bench/sbom: ${message}`);
  process.exit(2);
}

// One Node for every tool, so the runtime is not what differs: the repo's node@24 (what the actions run on) if
// installed, else the Node running this script.
const repoNode = path.join(repo, 'node_modules', '.bin', 'node');
const nodeBin = opts.node ?? (existsSync(repoNode) ? realpathSync(repoNode) : process.execPath);
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) fail(`${TIME} missing: apt-get install -y --no-install-recommends time (GNU time reports the peak RSS)`);

const CDXGEN_BIN = path.join(here, 'node_modules', '@cyclonedx', 'cdxgen', 'bin', 'cdxgen.js');
const CDXNPM_BIN = path.join(here, 'node_modules', '@cyclonedx', 'cyclonedx-npm', 'bin', 'cyclonedx-npm-cli.js');
if ((tools.includes('cdxgen') && !existsSync(CDXGEN_BIN)) || (tools.includes('cyclonedx-npm') && !existsSync(CDXNPM_BIN))) {
  fail('peers not installed: cd bench/sbom && npm ci (or flock /tmp/npm.lock npm install)');
}

// ---------------------------------------------------------------------------------------------
// Offline switches. Nothing here may reach the network: the machine has none, and a peer that tried would time
// out and be measured waiting.

/** cdxgen 12: lib/helpers/utils.js reads these; FETCH_LICENSE and CDXGEN_FETCH_PKG_METADATA default to off already,
 * set here so a user's environment cannot switch registry look-ups on. */
const CDXGEN_ENV = {
  FETCH_LICENSE: 'false', // no registry look-ups for licenses (npm, PyPI, Maven...)
  CDXGEN_FETCH_PKG_METADATA: 'false', // no registry metadata enrichment
  GO_FETCH_VCS: 'false',
  SEARCH_MAVEN_ORG: 'false',
  CDXGEN_NO_CACHE: 'true',
  // cdxgen's bundled trivy-cdxgen (used for -t rootfs): no vulnerability/Java DB download, no API calls, no telemetry.
  TRIVY_OFFLINE_SCAN: 'true',
  TRIVY_SKIP_DB_UPDATE: 'true',
  TRIVY_SKIP_JAVA_DB_UPDATE: 'true',
  TRIVY_SKIP_CHECK_UPDATE: 'true',
  TRIVY_SKIP_VERSION_CHECK: 'true',
  TRIVY_DISABLE_TELEMETRY: 'true',
  TRIVY_NO_PROGRESS: 'true',
};
/** cdxgen flags: --no-install-deps (never run npm/pip install), --no-babel (skip its source usage analysis: our side
 * does none, and the comparison is of package inventories), CycloneDX 1.6 like ours. Validation stays on (ours
 * validates too). */
const CDXGEN_FLAGS = ['--no-install-deps', '--no-babel', '--spec-version', '1.6'];
const CDXGEN_TYPES = {
  'npm-lock': ['-t', 'js'],
  'npm-tree': ['-t', 'js'],
  'debian-rootfs': ['-t', 'rootfs'],
  'big-dir': ['-t', 'js', '-t', 'python'],
};
/** npm (run by cyclonedx-npm as `npm ls --json --long --all`) never needs the network for ls; these keep it quiet. */
const npmCli = (() => {
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!which) return undefined;
  const real = realpathSync(which);
  return real.endsWith('.js') ? real : undefined;
})();
const NPM_ENV = {
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  ...(npmCli === undefined ? {} : { npm_execpath: npmCli }),
};

// ---------------------------------------------------------------------------------------------
// Our CLI: `factory sbom PATH --output X` (the issue's form) or `factory generate-sbom --paths PATH --output X`.

function factoryHelp(sub) {
  const r = spawnSync(nodeBin, [opts.factory, sub, '--help'], { encoding: 'utf8', timeout: 60000 });
  return { ok: r.status === 0, text: `${r.stdout}\n${r.stderr}` };
}

function detectFactory() {
  if (!tools.includes('ours')) return undefined;
  if (!existsSync(opts.factory)) fail(`--factory ${opts.factory} does not exist (build it: npm run bundle, or see README)`);
  const sbom = factoryHelp('sbom');
  const legacy = factoryHelp('generate-sbom');
  let style = opts['factory-style'];
  if (style === 'auto') style = sbom.ok && /--output/.test(sbom.text) ? 'sbom' : legacy.ok ? 'generate-sbom' : undefined;
  if (style !== 'sbom' && style !== 'generate-sbom')
    fail(`cannot run ${opts.factory} sbom or generate-sbom (--factory-style sbom|generate-sbom)`);
  const help = style === 'sbom' ? sbom.text : legacy.text;
  return { style, evidencePack: /--evidence-pack/.test(help), sha256: sha256File(opts.factory) };
}

function sha256File(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Purl normalisation for recall. Rule: parse pkg:type/namespace/name@version; drop qualifiers and subpath;
// percent-decode each part; lowercase the type always, and namespace/name where the purl-spec type definition says
// they are case-insensitive (deb, rpm vendor, apk, pypi: ../shared/fixtures/purl-spec/types/*-definition.json);
// PyPI names also fold runs of `-`, `_`, `.` into `-` (PEP 503) and versions lowercase; a deb/rpm `epoch` qualifier
// is folded into the version as `epoch:version` when the version does not carry it already (trivy puts it in a
// qualifier, Debian writes it in the version).

const CASE_INSENSITIVE = { deb: true, apk: true, pypi: true, alpm: true, bitbucket: true, github: true };

export function normalisePurl(purl) {
  if (typeof purl !== 'string' || !purl.startsWith('pkg:')) return undefined;
  let rest = purl.slice(4).replace(/^\/+/, '');
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  let qualifiers = {};
  const q = rest.indexOf('?');
  if (q !== -1) {
    qualifiers = Object.fromEntries(
      rest
        .slice(q + 1)
        .split('&')
        .filter(Boolean)
        .map((kv) => {
          const eq = kv.indexOf('=');
          return [kv.slice(0, eq).toLowerCase(), safeDecode(kv.slice(eq + 1))];
        }),
    );
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  if (slash === -1) return undefined;
  const type = rest.slice(0, slash).toLowerCase();
  let body = rest.slice(slash + 1);
  let version;
  const lastSlash = body.lastIndexOf('/');
  const at = body.lastIndexOf('@');
  if (at > lastSlash) {
    version = safeDecode(body.slice(at + 1));
    body = body.slice(0, at);
  }
  const segments = body.split('/').filter(Boolean).map(safeDecode);
  let name = segments.pop() ?? '';
  let namespace = segments.join('/');
  if (CASE_INSENSITIVE[type]) {
    name = name.toLowerCase();
    namespace = namespace.toLowerCase();
  }
  if (type === 'pypi') {
    name = name.replace(/[-_.]+/g, '-');
    if (version !== undefined) version = version.toLowerCase();
  }
  if ((type === 'deb' || type === 'rpm') && qualifiers.epoch && version !== undefined && !/^\d+:/.test(version)) {
    version = `${qualifiers.epoch}:${version}`;
  }
  return `pkg:${type}/${namespace ? `${namespace}/` : ''}${name}${version === undefined ? '' : `@${version}`}`;
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every purl in a CycloneDX document's components (nested ones too), normalised; metadata.component excluded. */
function purlsOf(file) {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const purls = new Set();
  let components = 0;
  let withoutPurl = 0;
  let sourcePackages = 0;
  let placeholders = 0;
  const walk = (list) => {
    for (const c of list ?? []) {
      components += 1;
      const p = normalisePurl(c.purl);
      // cdxgen (through trivy) also lists the Debian source package of installed binaries, tagged "source"; the tag
      // is also on a binary named like its source, so it cannot filter: source packages are told apart later, with
      // the answer key's list of source purls.
      if (Array.isArray(c.tags) && c.tags.includes('source')) sourcePackages += 1;
      // Our placeholder for a dependency that is declared but not catalogued (purl without a version): not found.
      const declaredOnly = (c.properties ?? []).some((x) => x.name === 'packaging-factory:declared-only' && x.value === 'true');
      if (declaredOnly) placeholders += 1;
      else if (p === undefined) withoutPurl += 1;
      else purls.add(p);
      walk(c.components);
    }
  };
  walk(doc.components);
  return { purls, components, withoutPurl, sourcePackages, placeholders, specVersion: doc.specVersion };
}

// ---------------------------------------------------------------------------------------------
// Measuring: wall time from spawn to exit (hrtime); CPU (user+sys) and peak RSS from GNU time (`%M`: the largest
// resident set of the process or of any one descendant it waited for, in KB); and the summed RSS of the whole
// process tree sampled from /proc every --sample-ms (catches a peer whose helper process runs beside it, e.g.
// cdxgen + trivy; a sample can miss a peak shorter than the interval).

function procTable() {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const rssPages = Number(fields[21]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push({ pid: Number(entry), rssPages });
    } catch {
      // the process exited between readdir and read
    }
  }
  return children;
}

const PAGE_KB = (() => {
  const r = spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' });
  return Number(r.stdout.trim() || 4096) / 1024;
})();

function treeRssKb(rootPid) {
  const children = procTable();
  let total = 0;
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length > 0) {
    const p = stack.pop();
    total += p.rssPages * PAGE_KB;
    stack.push(...(children.get(p.pid) ?? []));
  }
  return total;
}

async function measure(argv, { cwd, env, logFile }) {
  const timeFile = path.join(cwd, '.gnu-time');
  const log = openSync(logFile, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', timeFile, ...argv], { cwd, env, stdio: ['ignore', log, log] });
  let treePeakKb = 0;
  let done = false;
  let timedOut = false;
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const killer = setTimeout(() => {
    timedOut = true;
    // GNU time forwards nothing: end the measured command (its only child) and let time report.
    for (const p of procTable().get(child.pid) ?? []) process.kill(p.pid, 'SIGKILL');
  }, timeoutMs);
  const sampler = (async () => {
    while (!done) {
      treePeakKb = Math.max(treePeakKb, treeRssKb(child.pid));
      await sleep(sampleMs);
    }
  })();
  const { code } = await exited;
  done = true;
  clearTimeout(killer);
  await sampler;
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  closeSync(log);
  const timeLines = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n') : [];
  const [, user, sys, maxRss] = (timeLines[timeLines.length - 1] ?? '').split(' ').map(Number);
  return { exitCode: code, timedOut, wallMs, cpuMs: (user + sys) * 1000, peakRssKb: maxRss, treePeakRssKb: Math.round(treePeakKb) };
}

// ---------------------------------------------------------------------------------------------

function commandFor(tool, input, inputDir, out, work, factory) {
  const base = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete base.SOURCE_DATE_EPOCH;
  if (tool === 'ours') {
    const extra = factory.evidencePack ? ['--evidence-pack', path.join(work, 'evidence-pack.json')] : [];
    const argv =
      factory.style === 'sbom'
        ? [nodeBin, opts.factory, 'sbom', inputDir, '--output', out, ...extra]
        : [nodeBin, opts.factory, 'generate-sbom', '--paths', inputDir, '--output', out, ...extra];
    return { argv, env: base };
  }
  if (tool === 'cdxgen') {
    return {
      argv: [nodeBin, CDXGEN_BIN, ...CDXGEN_TYPES[input], ...CDXGEN_FLAGS, '-o', out, inputDir],
      env: { ...base, ...CDXGEN_ENV, CDXGEN_TEMP_DIR: work },
    };
  }
  // cyclonedx-npm reads one npm project (its package.json); it has nothing to say about a rootfs or a plain directory.
  if (input !== 'npm-lock' && input !== 'npm-tree') return undefined;
  return {
    argv: [
      nodeBin,
      CDXNPM_BIN,
      ...(input === 'npm-lock' ? ['--package-lock-only'] : []),
      '--output-format',
      'JSON',
      '--spec-version',
      '1.6',
      '--output-file',
      out,
      path.join(inputDir, 'package.json'),
    ],
    env: { ...base, ...NPM_ENV },
  };
}

/** Paths in the printed commands: the data dir as $DATA, the repo relative. */
function shortPath(arg) {
  if (arg.startsWith(`${dataDir}/`)) return `$DATA/${arg.slice(dataDir.length + 1)}`;
  if (arg.startsWith(`${repo}/`)) return arg.slice(repo.length + 1);
  return arg;
}

const median = (values) => {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

function diff(a, b) {
  return [...a].filter((x) => !b.has(x)).sort();
}

function versions(factory) {
  const pkg = (p) => JSON.parse(readFileSync(p, 'utf8')).version;
  const out = { node: spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim() };
  if (factory !== undefined) {
    const git = spawnSync('git', ['-C', repo, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout.trim();
    out.ours = `${shortPath(opts.factory)} (sha256 ${factory.sha256.slice(0, 12)}, tree ${git}, style '${factory.style}')`;
  }
  if (tools.includes('cdxgen')) {
    out.cdxgen = pkg(path.join(here, 'node_modules', '@cyclonedx', 'cdxgen', 'package.json'));
    const manifest = path.join(
      here,
      'node_modules',
      '@cdxgen',
      `cdxgen-plugins-bin-linux-${os.arch() === 'x64' ? 'amd64' : os.arch()}`,
      'plugins',
      'plugins-manifest.json',
    );
    if (existsSync(manifest)) {
      const trivy = JSON.parse(readFileSync(manifest, 'utf8')).plugins.find((p) => p.name === 'trivy');
      if (trivy) out['cdxgen trivy plugin'] = trivy.version;
    }
  }
  if (tools.includes('cyclonedx-npm')) {
    out['cyclonedx-npm'] = pkg(path.join(here, 'node_modules', '@cyclonedx', 'cyclonedx-npm', 'package.json'));
    out.npm = spawnSync(nodeBin, [npmCli ?? 'npm', '--version'], { encoding: 'utf8' }).stdout.trim();
  }
  return out;
}

function ensureInputs() {
  const manifestFile = path.join(dataDir, 'manifest.json');
  const seed = Number(opts.seed);
  let manifest = existsSync(manifestFile) ? JSON.parse(readFileSync(manifestFile, 'utf8')) : undefined;
  const stale =
    manifest === undefined ||
    manifest.seed !== seed ||
    manifest.generatorVersion !== GENERATOR_VERSION ||
    inputs.some((name) => manifest.inputs[name] === undefined || !existsSync(path.join(dataDir, 'inputs', name)));
  if (opts.regenerate || stale) {
    console.error(`generating inputs into ${dataDir} (seed ${seed})`);
    manifest = generate({ out: dataDir, seed, only: INPUT_NAMES, log: (line) => console.error(line) });
  }
  return manifest;
}

const fmtS = (ms) => (ms === undefined ? '–' : (ms / 1000).toFixed(2));
const fmtMb = (kb) => (kb === undefined ? '–' : (kb / 1024).toFixed(0));
const fmtX = (x) => (x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(1)}×`);
const pct = (n, d) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(1)}%`);

async function main() {
  const manifest = ensureInputs();
  const factory = detectFactory();
  const toolVersions = versions(factory);
  const resultsDir = path.join(dataDir, 'results');
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const report = {
    host: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memMb: Math.round(os.totalmem() / 2 ** 20),
      loadavgAtStart: os.loadavg(),
    },
    settings: { runs, warmup, slowSeconds: slowMs / 1000, slowRuns, timeoutSeconds: timeoutMs / 1000, sampleMs, seed: manifest.seed },
    offline: { cdxgenEnv: CDXGEN_ENV, cdxgenFlags: CDXGEN_FLAGS, cdxgenTypes: CDXGEN_TYPES, npmEnv: NPM_ENV },
    versions: toolVersions,
    inputs: {},
  };
  for (const input of inputs) {
    const inputDir = path.join(dataDir, 'inputs', input);
    const key = JSON.parse(readFileSync(path.join(dataDir, 'truth', `${input}.json`), 'utf8'));
    const truth = new Set(key.purls.map(normalisePurl));
    const sources = new Set((key.sourcePurls ?? []).map(normalisePurl));
    const notSource = (list) => list.filter((p) => !sources.has(p));
    const entry = { description: manifest.inputs[input].description, truthPurls: truth.size, tools: {} };
    report.inputs[input] = entry;
    for (const tool of tools) {
      const probe = commandFor(tool, input, inputDir, '/dev/null', '/tmp', factory);
      if (probe === undefined) {
        entry.tools[tool] = { applicable: false };
        continue;
      }
      const result = { applicable: true, runs: [], command: undefined };
      entry.tools[tool] = result;
      let planned = warmup + runs;
      for (let i = 0; i < planned; i += 1) {
        const work = path.join(resultsDir, 'work', `${input}-${tool}-${i}`);
        rmSync(work, { recursive: true, force: true });
        mkdirSync(work, { recursive: true });
        const out = path.join(work, 'sbom.cdx.json');
        const { argv, env } = commandFor(tool, input, inputDir, out, work, factory);
        result.command = argv.map(shortPath).join(' ');
        const m = await measure(argv, { cwd: work, env, logFile: path.join(work, 'log.txt') });
        const warm = i < warmup;
        const ok = m.exitCode === 0 && !m.timedOut && existsSync(out);
        const run = { warmup: warm, ...m, ok };
        if (ok) {
          const found = purlsOf(out);
          run.components = found.components;
          run.withoutPurl = found.withoutPurl;
          run.sourcePackages = found.sourcePackages;
          run.purls = found.purls.size;
          if (result.purlSet === undefined) {
            result.purlSet = found.purls;
            result.sourcePackages = found.sourcePackages;
            result.withoutPurl = found.withoutPurl;
            result.placeholders = found.placeholders;
          }
        } else {
          run.logTail = readFileSync(path.join(work, 'log.txt'), 'utf8').trim().split('\n').slice(-6).join('\n');
        }
        result.runs.push(run);
        console.error(
          `${input} ${tool} ${warm ? 'warm-up' : `run ${i - warmup + 1}`}: ${ok ? 'ok' : `FAILED (exit ${m.exitCode}${m.timedOut ? ', timed out' : ''})`} wall ${fmtS(m.wallMs)} s, cpu ${fmtS(m.cpuMs)} s, peak RSS ${fmtMb(m.peakRssKb)} MB (tree ${fmtMb(m.treePeakRssKb)} MB)${ok ? `, ${run.purls} purls` : ''}`,
        );
        // Keep the last run's output and log; earlier work dirs go (a 5,000-component SBOM is a few MB).
        if (i < planned - 1) rmSync(work, { recursive: true, force: true });
        if (warm && (m.cpuMs > slowMs || !ok)) planned = Math.min(planned, warmup + (ok ? slowRuns : 0));
        if (!warm && !ok) break;
      }
      const measured = result.runs.filter((r) => !r.warmup && r.ok);
      result.measuredRuns = measured.length;
      result.medianWallMs = median(measured.map((r) => r.wallMs));
      result.medianCpuMs = median(measured.map((r) => r.cpuMs));
      result.medianPeakRssKb = median(measured.map((r) => r.peakRssKb));
      result.medianTreePeakRssKb = median(measured.map((r) => r.treePeakRssKb));
      if (result.purlSet !== undefined) {
        const found = result.purlSet;
        result.purls = found.size;
        result.truthFound = [...truth].filter((p) => found.has(p)).length;
        result.recall = truth.size === 0 ? undefined : result.truthFound / truth.size;
        result.missedExamples = diff(truth, found).slice(0, 5);
        const extra = diff(found, truth);
        result.extra = extra.length;
        result.extraSourcePackages = extra.length - notSource(extra).length;
        result.extraExamples = notSource(extra).slice(0, 5);
      }
    }
    const ours = entry.tools.ours;
    for (const peer of ['cdxgen', 'cyclonedx-npm']) {
      const other = entry.tools[peer];
      if (ours?.medianWallMs === undefined || other?.medianWallMs === undefined) continue;
      other.wallRatio = other.medianWallMs / ours.medianWallMs;
      other.cpuRatio = other.medianCpuMs / ours.medianCpuMs;
      other.rssRatio = other.medianPeakRssKb / ours.medianPeakRssKb;
      other.treeRssRatio = other.medianTreePeakRssKb / ours.medianTreePeakRssKb;
    }
    if (ours?.purlSet !== undefined && entry.tools.cdxgen?.purlSet !== undefined) {
      const onlyOurs = diff(ours.purlSet, entry.tools.cdxgen.purlSet);
      const onlyCdxgen = diff(entry.tools.cdxgen.purlSet, ours.purlSet);
      entry.oursVsCdxgen = {
        both: ours.purlSet.size - onlyOurs.length,
        onlyOurs: onlyOurs.length,
        onlyOursExamples: onlyOurs.slice(0, 5),
        onlyCdxgen: onlyCdxgen.length,
        onlyCdxgenSourcePackages: onlyCdxgen.length - notSource(onlyCdxgen).length,
        onlyCdxgenExamples: notSource(onlyCdxgen).slice(0, 5),
      };
    }
    for (const t of Object.values(entry.tools)) delete t.purlSet;
  }
  writeFileSync(path.join(resultsDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = markdown(report);
  writeFileSync(path.join(resultsDir, 'results.md'), md);
  console.log(md);
  console.error(
    `raw figures: ${path.join(resultsDir, 'results.json')}; last run's SBOM and log per tool under ${path.join(resultsDir, 'work')}`,
  );
}

const ratio = (tool, r, x) => (r.measuredRuns === 0 ? '–' : tool === 'ours' ? '1×' : fmtX(x));

function markdown(report) {
  const lines = [];
  lines.push('## SBOM benchmark (bench/sbom)', '');
  lines.push(
    `Host: ${report.host.cpus} CPUs (${report.host.cpuModel}), ${report.host.memMb} MB, load average at start ${report.host.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}.`,
  );
  lines.push(
    `Runs: ${report.settings.warmup} warm-up + ${report.settings.runs} measured (a tool whose warm-up takes more than ${report.settings.slowSeconds} s of CPU gets ${report.settings.slowRuns}); medians.`,
  );
  lines.push(
    `Versions: ${Object.entries(report.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
    '',
  );
  lines.push(
    '| input | tool | runs | wall s | CPU s | peak RSS MB (tree) | purls | recall vs truth | extra | wall × ours | CPU × ours | RSS × ours |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [input, entry] of Object.entries(report.inputs)) {
    for (const [tool, r] of Object.entries(entry.tools)) {
      if (!r.applicable) {
        lines.push(`| ${input} | ${tool} | n/a (cannot read this input) | | | | | | | | | |`);
        continue;
      }
      const failed = r.measuredRuns === 0 ? ` FAILED: ${JSON.stringify((r.runs.at(-1)?.logTail ?? '').split('\n').at(-1))}` : '';
      lines.push(
        `| ${input} | ${tool} | ${r.measuredRuns}${failed} | ${fmtS(r.medianWallMs)} | ${fmtS(r.medianCpuMs)} | ${fmtMb(r.medianPeakRssKb)} (${fmtMb(r.medianTreePeakRssKb)}) | ${r.purls ?? '–'} | ${r.truthFound === undefined ? '–' : `${pct(r.truthFound, entry.truthPurls)} (${r.truthFound}/${entry.truthPurls})`} | ${r.extra ?? '–'} | ${ratio(tool, r, r.wallRatio)} | ${ratio(tool, r, r.cpuRatio)} | ${ratio(tool, r, r.rssRatio)} |`,
      );
    }
  }
  lines.push('');
  for (const [input, entry] of Object.entries(report.inputs)) {
    lines.push(`- **${input}**: ${entry.description}; ${entry.truthPurls} distinct purls in the answer key.`);
    const c = entry.oursVsCdxgen;
    if (c !== undefined) {
      lines.push(
        `  - ours vs cdxgen: both ${c.both}, only ours ${c.onlyOurs}${c.onlyOurs ? ` (e.g. ${c.onlyOursExamples.join(', ')})` : ''}, only cdxgen ${c.onlyCdxgen}${c.onlyCdxgenSourcePackages ? ` (${c.onlyCdxgenSourcePackages} of them source packages)` : ''}${c.onlyCdxgenExamples.length ? ` (e.g. ${c.onlyCdxgenExamples.join(', ')})` : ''}`,
      );
    }
    for (const [tool, r] of Object.entries(entry.tools)) {
      if (r.extraSourcePackages) {
        lines.push(
          `  - ${tool} also listed ${r.extraSourcePackages} Debian source packages that are not binary packages (${r.sourcePackages} components tagged "source"); they are in its purls and extra counts`,
        );
      }
      if (r.placeholders) lines.push(`  - ${tool} listed ${r.placeholders} declared-only placeholders (not counted above)`);
      if (r.withoutPurl) lines.push(`  - ${tool} listed ${r.withoutPurl} components without a purl (not counted above)`);
      if (r.missedExamples?.length) lines.push(`  - ${tool} missed e.g. ${r.missedExamples.join(', ')}`);
      if (r.extraExamples?.length) lines.push(`  - ${tool} extra (not in the answer key) e.g. ${r.extraExamples.join(', ')}`);
    }
  }
  lines.push(
    '',
    'Wall time: spawn to exit. CPU: user+sys of the process and the children it waited for (GNU time). Peak RSS: GNU time `%M`, the largest resident set of any single process in the tree; in brackets the summed RSS of the whole tree, sampled every ' +
      `${report.settings.sampleMs} ms from /proc. Purls are compared normalised (see run.mjs normalisePurl: qualifiers dropped, case folded where the purl type is case-insensitive, PyPI names PEP 503, deb/rpm epoch qualifier folded into the version).`,
    '',
  );
  return lines.join('\n');
}

await main();
