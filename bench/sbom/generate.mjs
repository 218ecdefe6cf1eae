#!/usr/bin/env node
// Builds the four SBOM benchmark inputs, deterministically from a seed (same seed, same bytes):
//   npm-lock       a project with a package-lock.json v3 of 5,000 packages (no node_modules)
//   npm-tree       a project with an installed node_modules tree of 1,500 packages and its lockfile
//   debian-rootfs  a root filesystem: etc/os-release (Debian 12) and var/lib/dpkg/status with 3,000 entries
//   big-dir        a directory of 50,000 files: ordinary source and data files, with a few package-lock.json
//                  projects and *.dist-info/METADATA directories sprinkled in
// Beside the inputs it writes truth/<input>.json: every purl the generator put in (the answer key for recall).
//
// Usage: node generate.mjs [--out DIR] [--seed N] [--only npm-lock,npm-tree,debian-rootfs,big-dir]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Buffer } from 'node:buffer';

export const GENERATOR_VERSION = 2;
export const INPUT_NAMES = ['npm-lock', 'npm-tree', 'debian-rootfs', 'big-dir'];
export const SIZES = { npmLock: 5000, npmTree: 1500, dpkgEntries: 3000, bigDirFiles: 50000 };

// ---------------------------------------------------------------------------------------------
// Seeded PRNG: sfc32 seeded through splitmix32, so every draw is reproducible across Node versions
// (Math.random cannot be seeded).

function splitmix32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed) {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 16; i += 1) next();
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    /** [[weight, value], ...] */
    weighted: (pairs) => {
      const total = pairs.reduce((sum, [w]) => sum + w, 0);
      let roll = next() * total;
      for (const [w, value] of pairs) {
        roll -= w;
        if (roll < 0) return value;
      }
      return pairs[pairs.length - 1][1];
    },
    bytes: (n) => {
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i += 4) {
        const v = Math.floor(next() * 4294967296);
        out[i] = v & 0xff;
        if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
        if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
        if (i + 3 < n) out[i + 3] = (v >>> 24) & 0xff;
      }
      return out;
    },
    /** A child stream, so one part's draws do not shift another's. */
    fork: (label) => createRng((seed ^ hashString(label)) >>> 0),
  };
  return rng;
}

function hashString(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

// ---------------------------------------------------------------------------------------------
// npm names, versions, licenses

const REAL_NPM = [
  'lodash react react-dom chalk commander debug ms semver glob minimatch yargs tslib express body-parser qs uuid',
  'axios follow-redirects form-data mime-types mime-db rimraf mkdirp fs-extra graceful-fs jsonfile universalify',
  'inherits once wrappy inflight safe-buffer string_decoder readable-stream util-deprecate core-util-is isarray',
  'process-nextick-args ansi-styles supports-color has-flag color-convert color-name escape-string-regexp',
  'strip-ansi ansi-regex string-width emoji-regex is-fullwidth-code-point wrap-ansi cliui y18n get-caller-file',
  'require-directory escalade picomatch micromatch braces fill-range to-regex-range is-number anymatch',
  'normalize-path chokidar readdirp binary-extensions is-binary-path is-glob is-extglob glob-parent fast-glob',
  'merge2 fastq reusify run-parallel queue-microtask path-key shebang-command shebang-regex which isexe',
  'cross-spawn signal-exit execa human-signals get-stream is-stream npm-run-path onetime mimic-fn',
  'strip-final-newline js-yaml argparse esprima acorn acorn-walk estraverse esutils esquery esrecurse',
  'eslint-scope eslint-visitor-keys espree levn optionator prelude-ls type-check deep-is fast-levenshtein',
  'word-wrap json-schema-traverse fast-deep-equal fast-json-stable-stringify uri-js punycode ajv ajv-formats',
  'ajv-keywords json5 minimist source-map source-map-support buffer-from picocolors nanoid postcss',
  'postcss-value-parser caniuse-lite browserslist electron-to-chromium node-releases update-browserslist-db',
  'yallist lru-cache balanced-match brace-expansion concat-map path-is-absolute fs.realpath typescript webpack',
  'webpack-sources terser terser-webpack-plugin enhanced-resolve tapable watchpack schema-utils loader-runner',
  'neo-async events cookie cookie-signature depd destroy encodeurl escape-html etag finalhandler fresh',
  'http-errors statuses toidentifier setprototypeof merge-descriptors methods on-finished ee-first parseurl',
  'path-to-regexp proxy-addr forwarded ipaddr.js range-parser send serve-static type-is media-typer utils-merge',
  'vary accepts negotiator content-type content-disposition bytes raw-body unpipe iconv-lite safer-buffer',
]
  .join(' ')
  .split(' ');

const WORDS = [
  'array buffer stream json parse fast deep merge object string path color util core plugin loader config dom',
  'event emitter promise async queue cache http proxy agent url query schema validate type env cli args log',
  'logger pretty format date time crypto hash base64 encode decode zlib tar extra range compare escape regexp',
  'html css sass svg image font icon button modal form input select table grid chart graph tree walk visit ast',
  'token lexer parser compile transform runtime polyfill shim browser worker thread pool retry timeout signal',
  'abort fetch request response session auth jwt oauth mime content pipe through duplex readable writable binary',
  'bytes bits number math random sort unique flatten chunk pick omit clone equal diff patch watch file dir home',
  'os process spawn exec child cross platform detect supports symbols proto iterator callback bind call apply',
  'function name keys values entries assign define property descriptor inspect mock spy assert expect snapshot',
  'coverage report lint rules style sql store state router route link history intl locale message mail socket net',
  'dns tls cert key sign verify stack trace frame source map set weak lazy memo throttle debounce scheduler',
  'graceful safe strict loose tiny micro mini nano super hyper meta data view model layout theme media audio',
  'video',
]
  .join(' ')
  .split(' ');

const NAME_PREFIXES = [
  [50, ''],
  [6, 'is-'],
  [4, 'has-'],
  [3, 'get-'],
  [3, 'to-'],
  [3, 'eslint-plugin-'],
  [3, 'babel-plugin-'],
  [2, 'postcss-'],
  [2, 'rollup-plugin-'],
  [2, 'node-'],
  [2, 'react-'],
  [1, 'vue-'],
  [1, 'gulp-'],
  [1, 'grunt-'],
  [1, 'karma-'],
  [1, 'webpack-'],
];

const SCOPES = [
  '@babel @types @aws-sdk @smithy @octokit @jest @eslint @typescript-eslint @radix-ui @angular @vue @sentry',
  '@opentelemetry @grpc @google-cloud @azure @nestjs @emotion @mui @rollup @swc @napi-rs @img @isaacs @npmcli',
  '@sigstore @tufjs @nodelib @jridgewell @sinclair @protobufjs @humanwhocodes @tanstack @floating-ui @storybook',
  '@webassemblyjs @xtuc @csstools @formatjs',
]
  .join(' ')
  .split(' ');

const NPM_LICENSES = [
  [700, 'MIT'],
  [100, 'ISC'],
  [70, 'Apache-2.0'],
  [40, 'BSD-3-Clause'],
  [30, 'BSD-2-Clause'],
  [20, '(MIT OR Apache-2.0)'],
  [10, '0BSD'],
  [8, 'BlueOak-1.0.0'],
  [6, 'MIT OR CC0-1.0'],
  [5, 'MPL-2.0'],
  [3, 'Python-2.0'],
  [3, 'CC-BY-4.0'],
  [3, 'SEE LICENSE IN LICENSE.md'],
  [2, 'Unlicense'],
  [4, null],
];

function npmWordName(rng) {
  const words = rng.weighted([
    [30, 1],
    [50, 2],
    [20, 3],
  ]);
  const parts = [];
  for (let i = 0; i < words; i += 1) parts.push(rng.pick(WORDS));
  return rng.weighted(NAME_PREFIXES) + parts.join('-');
}

/** `count` distinct realistic npm names (about a quarter scoped), the real ones first. */
function npmNames(rng, count, reserved = new Set()) {
  const names = [];
  const seen = new Set(reserved);
  const add = (name) => {
    if (seen.has(name) || names.length >= count) return;
    seen.add(name);
    names.push(name);
  };
  for (const name of REAL_NPM) if (rng.chance(0.85)) add(name);
  let guard = 0;
  while (names.length < count && guard < count * 50) {
    guard += 1;
    const base = npmWordName(rng);
    add(rng.chance(0.25) ? `${rng.pick(SCOPES)}/${base}` : base);
    if (rng.chance(0.05)) add(`${base}${rng.int(2, 9)}`);
  }
  // Real lockfiles are not ordered by popularity: shuffle (Fisher-Yates) so real names spread out.
  for (let i = names.length - 1; i > 0; i -= 1) {
    const j = rng.int(0, i);
    [names[i], names[j]] = [names[j], names[i]];
  }
  return names;
}

function npmVersion(rng, avoidMajors = new Set()) {
  let major;
  do {
    major = rng.weighted([
      [20, 0],
      [55, rng.int(1, 5)],
      [25, rng.int(6, 30)],
    ]);
  } while (avoidMajors.has(major));
  const version = `${major}.${rng.int(0, 20)}.${rng.int(0, 30)}`;
  return rng.chance(0.02) ? `${version}-${rng.pick(['beta', 'rc', 'alpha', 'next'])}.${rng.int(0, 9)}` : version;
}

function npmRange(rng, version) {
  return rng.weighted([
    [85, `^${version}`],
    [8, `~${version}`],
    [5, version],
    [2, `>=${version}`],
  ]);
}

function npmTarballUrl(name, version) {
  const base = name.startsWith('@') ? name.split('/')[1] : name;
  return `https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`;
}

export function npmPurl(name, version) {
  const encoded = name.startsWith('@') ? `%40${name.slice(1)}` : name;
  return `pkg:npm/${encoded}@${encodeURIComponent(version)}`;
}

/** Where npm's resolver finds `dep` from the package at `from` (node_modules walk up to the root). */
function resolveFrom(entries, from, dep) {
  let dir = from;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${dep}` : `${dir}/node_modules/${dep}`;
    if (entries.has(candidate)) return candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

function parentPath(p) {
  const cut = p.lastIndexOf('/node_modules/');
  return cut === -1 ? '' : p.slice(0, cut);
}

/**
 * An npm project: `total` lock entries (hoisted primaries plus nested duplicates of other majors), a dependency
 * graph whose every edge resolves (ranges derived from what the walk-up finds, so `npm ls` sees no problems),
 * and dev/optional/devOptional flags computed the way npm's lockfile documents them.
 */
function npmProject(rng, { total, rootName, nestedShare = 0.14, platformFamilies = 0, rootDirect = 80 }) {
  const platformNames = [];
  const families = [];
  for (let f = 0; f < platformFamilies; f += 1) {
    const scope = `@${rng.pick(['esbuild', 'swc', 'rollup', 'img', 'napi-rs', 'parcel'])}${f === 0 ? '' : `-${rng.pick(WORDS)}`}`;
    const targets = [
      ['linux', 'x64'],
      ['linux', 'arm64'],
      ['darwin', 'x64'],
      ['darwin', 'arm64'],
      ['win32', 'x64'],
    ];
    const members = targets.map(([os, cpu]) => ({ name: `${scope}/${rng.pick(WORDS)}-${os}-${cpu}`, os, cpu }));
    families.push(members);
    for (const m of members) platformNames.push(m.name);
  }
  const nestedCount = Math.round(total * nestedShare);
  const primaryCount = total - nestedCount - platformNames.length;
  const names = npmNames(rng, primaryCount, new Set(platformNames));
  const entries = new Map();
  const versionsOf = new Map();
  const newEntry = (p, name, version, extra = {}) => {
    const entry = { path: p, name, version, deps: new Set(), optDeps: new Set(), ...extra };
    entries.set(p, entry);
    if (!versionsOf.has(name)) versionsOf.set(name, new Set());
    versionsOf.get(name).add(version);
    return entry;
  };
  for (const name of names) newEntry(`node_modules/${name}`, name, npmVersion(rng));
  const platformMeta = new Map();
  for (const family of families) {
    const version = npmVersion(rng);
    for (const m of family) {
      newEntry(`node_modules/${m.name}`, m.name, version, { os: [m.os], cpu: [m.cpu] });
      platformMeta.set(m.name, family);
    }
  }
  // The graph over hoisted packages, shaped like real trees (npm's own tooling is quadratic on uniformly random
  // graphs, where every package has every earlier one as an ancestor): the root's direct dependencies head
  // families (a framework and what it pulls in; family sizes are skewed), and a small pool of popular utilities
  // (the ms/debug/semver kind) is depended on from everywhere, with popularity falling off steeply.
  const utilCount = Math.max(5, Math.round(names.length * 0.04));
  const body = names.slice(0, names.length - utilCount);
  const utils = names.slice(names.length - utilCount);
  const direct = Math.min(rootDirect, Math.max(3, Math.round(body.length * 0.02)));
  const root = { deps: new Set(), devDeps: new Set(), optDeps: new Set() };
  const entryOf = (name) => entries.get(`node_modules/${name}`);
  const clusters = [];
  const familyOf = new Map();
  for (let i = 0; i < direct; i += 1) {
    (rng.chance(0.3) ? root.devDeps : root.deps).add(body[i]);
    clusters.push([body[i]]);
    familyOf.set(body[i], i);
  }
  for (let i = direct; i < body.length; i += 1) {
    const f = Math.floor(direct * rng.next() ** 2);
    const members = clusters[f];
    const parent = members[rng.int(Math.max(0, members.length - 30), members.length - 1)];
    entryOf(parent).deps.add(body[i]);
    members.push(body[i]);
    familyOf.set(body[i], f);
  }
  const position = new Map();
  for (const members of clusters) members.forEach((name, k) => position.set(name, k));
  body.forEach((name, i) => {
    const entry = entryOf(name);
    const extra = rng.weighted([
      [45, 0],
      [35, rng.int(1, 3)],
      [17, rng.int(4, 8)],
      [3, rng.int(9, 20)],
    ]);
    const members = clusters[familyOf.get(name)];
    for (let k = 0; k < extra; k += 1) {
      const roll = rng.next();
      let other;
      if (roll < 0.55) other = utils[Math.floor(utils.length * rng.next() ** 3)];
      else if (roll < 0.9 && position.get(name) + 1 < members.length) other = members[rng.int(position.get(name) + 1, members.length - 1)];
      else if (i + 1 < body.length) other = body[rng.int(i + 1, body.length - 1)];
      if (other !== undefined && other !== name) entry.deps.add(other);
    }
  });
  // Utilities depend on a few later utilities (and a rare one back: cycles exist in real trees too).
  utils.forEach((name, i) => {
    for (
      let k = rng.weighted([
        [60, 0],
        [30, 1],
        [10, 2],
      ]);
      k > 0;
      k -= 1
    ) {
      const other = rng.chance(0.02) || i + 1 >= utils.length ? rng.pick(utils) : utils[rng.int(i + 1, utils.length - 1)];
      if (other !== name) entryOf(name).deps.add(other);
    }
  });
  // Native packages with platform-specific optional binaries (esbuild/swc style).
  for (const family of families) {
    const owner = entries.get(`node_modules/${rng.pick(names)}`);
    for (const m of family) owner.optDeps.add(m.name);
  }
  // A handful of plain optional dependencies (no os/cpu), from the root and from packages.
  for (let k = 0; k < Math.max(1, Math.round(names.length * 0.004)); k += 1) {
    const target = rng.pick(names);
    if (root.deps.has(target) || root.devDeps.has(target)) continue;
    if (k === 0) root.optDeps.add(target);
    else {
      const owner = entries.get(`node_modules/${rng.pick(names)}`);
      if (owner.name !== target && !owner.deps.has(target)) owner.optDeps.add(target);
    }
  }
  // Nested duplicates: another major of X under a package that needs it; some under nested packages (deeper),
  // some reusing an existing other major (npm duplicates the same version under several parents).
  const nestedAlts = new Map();
  let made = 0;
  let guard = 0;
  while (made < nestedCount && guard < nestedCount * 40) {
    guard += 1;
    const hosts = [...entries.values()];
    const host = rng.chance(0.8) ? entries.get(`node_modules/${rng.pick(names)}`) : rng.pick(hosts);
    if (host.os !== undefined) continue;
    const name = rng.pick(names);
    if (name === host.name) continue;
    const p = `${host.path}/node_modules/${name}`;
    if (entries.has(p)) continue;
    if (host.path.split('/node_modules/').some((seg) => seg.replace(/^node_modules\//, '') === name)) continue;
    const reuse = nestedAlts.get(name);
    let version;
    if (reuse !== undefined && rng.chance(0.3)) version = rng.pick(reuse);
    else {
      const majors = new Set([...versionsOf.get(name)].map((v) => Number(v.split('.')[0])));
      version = npmVersion(rng, majors);
      if (!nestedAlts.has(name)) nestedAlts.set(name, []);
      nestedAlts.get(name).push(version);
    }
    const nested = newEntry(p, name, version);
    host.deps.add(name);
    host.optDeps.delete(name);
    const own = rng.int(0, 4);
    for (let k = 0; k < own; k += 1) {
      const other = rng.pick(names);
      if (other !== name) nested.deps.add(other);
    }
    made += 1;
  }
  // Resolve every edge; make unreachable packages direct dependencies of the root (no extraneous entries).
  const edgesOf = (fromPath, deps) => [...deps].map((d) => resolveFrom(entries, fromPath, d)).filter(Boolean);
  const reach = (useRootDev, useOpt, useProdRoot = true) => {
    const seen = new Set();
    const queue = [];
    const push = (list) => {
      for (const p of list) {
        if (seen.has(p)) continue;
        seen.add(p);
        queue.push(p);
      }
    };
    if (useProdRoot) push(edgesOf('', root.deps));
    if (useRootDev) push(edgesOf('', root.devDeps));
    if (useOpt) push(edgesOf('', root.optDeps));
    while (queue.length > 0) {
      const entry = entries.get(queue.pop());
      push(edgesOf(entry.path, entry.deps));
      if (useOpt) push(edgesOf(entry.path, entry.optDeps));
    }
    return seen;
  };
  for (;;) {
    const all = reach(true, true);
    const missing = [...entries.keys()].filter((p) => !all.has(p) && parentPath(p) === '');
    if (missing.length === 0) break;
    for (const p of missing) {
      const entry = entries.get(p);
      if (entry.os !== undefined) root.optDeps.add(entry.name);
      else root.deps.add(entry.name);
    }
  }
  const prod = reach(false, false);
  const nonDev = reach(false, true);
  const nonOpt = reach(true, false);
  for (const entry of entries.values()) {
    entry.dev = !nonDev.has(entry.path);
    entry.optional = !nonOpt.has(entry.path);
    entry.devOptional = !entry.dev && !entry.optional && !prod.has(entry.path);
  }
  const ranges = (fromPath, deps) => {
    const out = {};
    for (const d of [...deps].sort()) out[d] = npmRange(rng, entries.get(resolveFrom(entries, fromPath, d)).version);
    return out;
  };
  for (const entry of entries.values()) {
    entry.dependencies = ranges(entry.path, entry.deps);
    entry.optionalDependencies = ranges(entry.path, entry.optDeps);
    entry.license = rng.weighted(NPM_LICENSES);
    entry.integrity = `sha512-${rng.bytes(64).toString('base64')}`;
    if (rng.chance(0.06)) entry.bin = { [entry.name.split('/').pop()]: rng.pick(['bin/cli.js', 'cli.js', 'bin/index.js']) };
    if (rng.chance(0.25)) entry.engines = { node: rng.pick(['>=6', '>=8', '>=10', '>=12', '>=14', '>=16', '^18 || >=20', '>=18']) };
    if (rng.chance(0.01)) entry.hasInstallScript = true;
    if (rng.chance(0.08)) entry.funding = { url: `https://github.com/sponsors/${rng.pick(WORDS)}` };
  }
  const rootEntry = {
    name: rootName,
    version: '1.0.0',
    license: 'UNLICENSED',
    dependencies: ranges('', root.deps),
    devDependencies: ranges('', root.devDeps),
    optionalDependencies: ranges('', root.optDeps),
  };
  return { rootEntry, entries };
}

function prune(object) {
  const out = {};
  for (const [k, v] of Object.entries(object)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

// npm sorts lockfile `packages` keys with localeCompare(..., 'en').
const byLocale = (a, b) => a.localeCompare(b, 'en');

function lockfileOf(project) {
  const packages = { '': prune({ ...project.rootEntry }) };
  for (const p of [...project.entries.keys()].sort(byLocale)) {
    const e = project.entries.get(p);
    packages[p] = prune({
      version: e.version,
      resolved: npmTarballUrl(e.name, e.version),
      integrity: e.integrity,
      dev: e.dev,
      optional: e.optional,
      devOptional: e.devOptional,
      hasInstallScript: e.hasInstallScript,
      license: e.license ?? undefined,
      dependencies: e.dependencies,
      optionalDependencies: e.optionalDependencies,
      bin: e.bin,
      engines: e.engines,
      os: e.os,
      cpu: e.cpu,
      funding: e.funding,
    });
  }
  return { name: project.rootEntry.name, version: project.rootEntry.version, lockfileVersion: 3, requires: true, packages };
}

function rootManifestOf(project) {
  return prune({ ...project.rootEntry, private: true, description: 'Generated benchmark project (bench/sbom).' });
}

const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

function write(file, content) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function npmTruth(project) {
  return [...new Set([...project.entries.values()].map((e) => npmPurl(e.name, e.version)))].sort();
}

function genNpmLock(rng, dir) {
  const project = npmProject(rng, { total: SIZES.npmLock, rootName: 'bench-lock-app', platformFamilies: 2 });
  write(path.join(dir, 'package.json'), json(rootManifestOf(project)));
  write(path.join(dir, 'package-lock.json'), json(lockfileOf(project)));
  write(path.join(dir, 'index.js'), "'use strict';\nmodule.exports = {};\n");
  return {
    description: `package-lock.json v3 with ${project.entries.size} packages (no node_modules)`,
    entries: project.entries.size,
    purls: npmTruth(project),
  };
}

function genNpmTree(rng, dir) {
  // No os/cpu-restricted packages: npm would not install the other platforms' binaries, and the tree must match its lock.
  const project = npmProject(rng, { total: SIZES.npmTree, rootName: 'bench-tree-app', platformFamilies: 0, rootDirect: 40 });
  write(path.join(dir, 'package.json'), json(rootManifestOf(project)));
  write(path.join(dir, 'package-lock.json'), json(lockfileOf(project)));
  write(path.join(dir, 'index.js'), "'use strict';\nmodule.exports = {};\n");
  let files = 3;
  for (const e of project.entries.values()) {
    const author = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    const manifest = prune({
      name: e.name,
      version: e.version,
      description: `${rng.pick(WORDS)} ${rng.pick(WORDS)} for ${rng.pick(WORDS)}`,
      main: 'index.js',
      license: e.license ?? undefined,
      author: `${author} <${author.toLowerCase().replace(' ', '.')}@example.org>`,
      repository: { type: 'git', url: `git+https://github.com/${rng.pick(WORDS)}/${e.name.split('/').pop()}.git` },
      keywords: [rng.pick(WORDS), rng.pick(WORDS)],
      dependencies: e.dependencies,
      optionalDependencies: e.optionalDependencies,
      bin: e.bin,
      engines: e.engines,
    });
    write(path.join(dir, e.path, 'package.json'), json(manifest));
    write(
      path.join(dir, e.path, 'index.js'),
      `'use strict';\nmodule.exports = function ${rng.pick(WORDS)}() { return ${rng.int(0, 999)}; };\n`,
    );
    write(path.join(dir, e.path, 'README.md'), `# ${e.name}\n\n${e.version}\n`);
    files += 3;
  }
  return {
    description: `node_modules tree of ${project.entries.size} installed packages (package.json, index.js, README.md each) and its package-lock.json v3; no node_modules/.package-lock.json`,
    entries: project.entries.size,
    files,
    purls: npmTruth(project),
  };
}

// ---------------------------------------------------------------------------------------------
// Debian root filesystem

const FIRST_NAMES = 'Anna Jonas Maria Luca Sofia Noah Emma Ravi Yuki Chen Olga Pierre Aisha Tomas'.split(' ');
const LAST_NAMES = 'Keller Rossi Novak Dubois Tanaka Silva Nguyen Kowalski Larsen Okafor Moreau'.split(' ');

const REAL_DEB = [
  'base-files base-passwd bash bsdutils coreutils dash debconf debian-archive-keyring debianutils diffutils dpkg',
  'e2fsprogs findutils gcc-12-base gpgv grep gzip hostname init-system-helpers libacl1 libapt-pkg6.0 libattr1',
  'libaudit1 libblkid1 libbz2-1.0 libc-bin libc6 libcap-ng0 libcap2 libcom-err2 libcrypt1 libdb5.3',
  'libdebconfclient0 libext2fs2 libffi8 libgcc-s1 libgcrypt20 libgmp10 libgnutls30 libgpg-error0 libhogweed6',
  'libidn2-0 liblz4-1 liblzma5 libmd0 libmount1 libnettle8 libp11-kit0 libpam-modules libpam-modules-bin',
  'libpam-runtime libpam0g libpcre2-8-0 libseccomp2 libselinux1 libsemanage-common libsemanage2 libsepol2',
  'libsmartcols1 libss2 libstdc++6 libsystemd0 libtasn1-6 libtinfo6 libudev1 libunistring2 libuuid1 libxxhash0',
  'libzstd1 login logsave mawk mount ncurses-base ncurses-bin passwd perl-base sed sysvinit-utils tar tzdata',
  'usr-is-merged util-linux util-linux-extra zlib1g apt adduser ca-certificates curl libcurl4 openssl libssl3 git',
  'git-man less procps python3 python3.11 python3-minimal libpython3.11-stdlib perl perl-modules-5.36 libperl5.36',
  'wget xz-utils bzip2 file libmagic1 libmagic-mgc gnupg dirmngr gpg gpg-agent openssh-client libxml2',
  'libsqlite3-0 libexpat1 libreadline8 readline-common libncursesw6 netbase media-types',
]
  .join(' ')
  .split(' ');

const DEB_SECTIONS = [
  'libs utils admin python perl devel libdevel fonts x11 net web misc text doc interpreters graphics sound',
  'database javascript golang ruby',
]
  .join(' ')
  .split(' ');

function debUpstream(rng) {
  return rng.weighted([
    [50, `${rng.int(0, 9)}.${rng.int(0, 40)}${rng.chance(0.6) ? `.${rng.int(0, 30)}` : ''}`],
    [10, `${rng.int(1, 3)}.${rng.int(0, 99)}.${rng.int(0, 9)}+dfsg`],
    [8, `${rng.int(0, 4)}.${rng.int(0, 20)}.${rng.int(0, 20)}~rc${rng.int(1, 4)}`],
    [10, `${rng.int(2019, 2023)}${String(rng.int(1, 12)).padStart(2, '0')}${String(rng.int(1, 28)).padStart(2, '0')}`],
    [12, `${rng.int(100, 260)}.${rng.int(1, 30)}`],
    [10, `${rng.int(1, 9)}.${rng.int(0, 9)}.${rng.int(0, 9)}.${rng.int(0, 99)}`],
  ]);
}

function debRevision(rng) {
  return rng.weighted([
    [45, `-${rng.int(1, 9)}`],
    [20, `-${rng.int(1, 12)}+deb12u${rng.int(1, 6)}`],
    [8, `-${rng.int(1, 4)}~deb12u${rng.int(1, 3)}`],
    [10, `-${rng.int(1, 3)}.${rng.int(1, 2)}`],
    [7, ''],
    [10, `-${rng.int(1, 30)}`],
  ]);
}

function debDescription(rng, name) {
  const lines = [
    `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.pick(['library', 'utilities', 'runtime', 'tools', 'module', 'data', 'documentation'])}`,
  ];
  const paragraphs = rng.int(1, 3);
  for (let p = 0; p < paragraphs; p += 1) {
    if (p > 0) lines.push(' .');
    const count = rng.int(1, 4);
    for (let i = 0; i < count; i += 1) {
      const words = [];
      for (let w = 0; w < rng.int(6, 12); w += 1) words.push(rng.pick(WORDS));
      lines.push(` ${i === 0 && p === 0 ? `This package provides ${name}: ` : ''}${words.join(' ')}.`);
    }
  }
  return lines.join('\n');
}

function genDebianRootfs(rng, dir) {
  const osRelease = [
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'NAME="Debian GNU/Linux"',
    'VERSION_ID="12"',
    'VERSION="12 (bookworm)"',
    'VERSION_CODENAME=bookworm',
    'ID=debian',
    'HOME_URL="https://www.debian.org/"',
    'SUPPORT_URL="https://www.debian.org/support"',
    'BUG_REPORT_URL="https://bugs.debian.org/"',
    '',
  ].join('\n');
  // On Debian etc/os-release is a symlink to ../usr/lib/os-release; both are regular files here so a walker that
  // does not follow symlinks still finds the release.
  write(path.join(dir, 'usr/lib/os-release'), osRelease);
  write(path.join(dir, 'etc/os-release'), osRelease);
  write(path.join(dir, 'etc/debian_version'), '12.7\n');

  // Binary packages grouped by source package, as Debian builds them.
  const packages = [];
  const used = new Set();
  const sourceNames = new Set();
  const take = (name) => (used.has(name) ? false : (used.add(name), true));
  const addBinary = (source, name, arch, extra = {}) => {
    if (!take(name)) return;
    packages.push({ source, name, arch, ...extra });
  };
  const real = [...REAL_DEB];
  while (packages.length < SIZES.dpkgEntries) {
    const word = rng.pick(WORDS);
    const epoch = rng.chance(0.05) ? `${rng.int(1, 3)}:` : '';
    const isReal = real.length > 0;
    const source = {
      name: isReal ? real.shift() : `${word}${rng.chance(0.5) ? rng.pick(WORDS) : ''}${rng.chance(0.3) ? `-${rng.pick(WORDS)}` : ''}`,
      version: `${epoch}${debUpstream(rng)}${debRevision(rng)}`,
      maintainer: rng.chance(0.5)
        ? `Debian ${rng.pick(WORDS)} Maintainers <pkg-${rng.pick(WORDS)}-maintainers@lists.alioth.debian.org>`
        : `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)} <${rng.pick(WORDS)}@debian.org>`,
      section: rng.pick(DEB_SECTIONS),
      homepage: rng.chance(0.7) ? `https://${rng.pick(WORDS)}.${rng.pick(['org', 'io', 'net', 'dev'])}/` : undefined,
    };
    // Source package names are unique too, and no binary of another source may take one.
    if (used.has(source.name) || sourceNames.has(source.name)) continue;
    sourceNames.add(source.name);
    const kind = isReal
      ? 'single'
      : rng.weighted([
          [35, 'single'],
          [30, 'lib'],
          [10, 'python'],
          [8, 'perl'],
          [5, 'fonts'],
          [12, 'suite'],
        ]);
    const soname = rng.int(0, 12);
    const bin = (name, arch = 'amd64', extra = {}) => addBinary(source, name.toLowerCase(), arch, extra);
    if (kind === 'single') bin(source.name, rng.chance(0.25) ? 'all' : 'amd64');
    else if (kind === 'lib') {
      bin(`lib${source.name}${soname}`, 'amd64', { multiArch: 'same' });
      if (rng.chance(0.6)) bin(`lib${source.name}-dev`, 'amd64', { multiArch: 'same', section: 'libdevel' });
      if (rng.chance(0.3)) bin(`${source.name}-tools`);
      if (rng.chance(0.2)) bin(`lib${source.name}-doc`, 'all', { section: 'doc' });
    } else if (kind === 'python') bin(`python3-${source.name}`, rng.chance(0.7) ? 'all' : 'amd64', { section: 'python' });
    else if (kind === 'perl') bin(`lib${source.name}-perl`, rng.chance(0.8) ? 'all' : 'amd64', { section: 'perl' });
    else if (kind === 'fonts') bin(`fonts-${source.name}`, 'all', { section: 'fonts' });
    else {
      bin(source.name);
      bin(`${source.name}-common`, 'all', { multiArch: 'foreign' });
      if (rng.chance(0.5)) bin(`${source.name}-data`, 'all');
      if (rng.chance(0.5)) bin(`lib${source.name}${soname}`, 'amd64', { multiArch: 'same' });
    }
  }
  packages.length = SIZES.dpkgEntries;
  // binNMUs: a binary rebuilt without a source change carries +bN, so its Source field names the source version.
  for (const p of packages) {
    p.version = p.source.version;
    if (p.arch !== 'all' && rng.chance(0.04)) p.version = `${p.version}+b${rng.int(1, 3)}`;
  }
  // Multi-arch: a few `Multi-Arch: same` libraries also installed for i386 (same name, other architecture).
  const foreign = packages.filter((p) => p.multiArch === 'same').slice(0, 8);
  const status = [];
  const installed = [];
  const names = packages.map((p) => p.name);
  packages.forEach((p, index) => {
    p.status = index % 97 === 13 ? 'deinstall ok config-files' : index % 389 === 7 ? 'hold ok installed' : 'install ok installed';
  });
  // Replace the last entries by the i386 copies so the total stays at SIZES.dpkgEntries.
  const i386 = foreign.map((p) => ({ ...p, arch: 'i386', status: 'install ok installed' }));
  packages.splice(packages.length - i386.length, i386.length, ...i386);
  packages.sort((a, b) => (a.name === b.name ? a.arch.localeCompare(b.arch) : a.name < b.name ? -1 : 1));
  for (const p of packages) {
    const deps = [];
    const depCount = rng.weighted([
      [20, 0],
      [50, rng.int(1, 4)],
      [25, rng.int(5, 10)],
      [5, rng.int(11, 20)],
    ]);
    for (let k = 0; k < depCount; k += 1) {
      const target = packages[rng.int(0, packages.length - 1)];
      if (target.name === p.name) continue;
      const upstream = target.version.replace(/^\d+:/, '').split('-')[0];
      let clause = rng.chance(0.5) ? `${target.name} (>= ${upstream})` : target.name;
      if (target.multiArch === 'foreign' || rng.chance(0.03)) clause = clause.replace(target.name, `${target.name}:any`);
      if (rng.chance(0.08)) clause = `${clause} | ${rng.pick(names)}`;
      deps.push(clause);
    }
    const siblings = packages.filter((o) => o.source === p.source && o !== p && o.arch !== 'i386');
    if (siblings.length > 0 && rng.chance(0.6)) deps.push(`${siblings[0].name} (= ${siblings[0].version})`);
    const fields = [`Package: ${p.name}`];
    if (REAL_DEB.indexOf(p.name) !== -1 && REAL_DEB.indexOf(p.name) < 40 && rng.chance(0.5)) fields.push('Essential: yes');
    fields.push(`Status: ${p.status}`);
    fields.push(
      `Priority: ${rng.weighted([
        [5, 'required'],
        [5, 'important'],
        [10, 'standard'],
        [80, 'optional'],
      ])}`,
    );
    fields.push(`Section: ${p.section ?? p.source.section}`);
    fields.push(`Installed-Size: ${rng.int(8, 60000)}`);
    fields.push(`Maintainer: ${p.source.maintainer}`);
    fields.push(`Architecture: ${p.arch}`);
    if (p.multiArch !== undefined) fields.push(`Multi-Arch: ${p.multiArch}`);
    if (p.source.name !== p.name || p.version !== p.source.version) {
      fields.push(p.version !== p.source.version ? `Source: ${p.source.name} (${p.source.version})` : `Source: ${p.source.name}`);
    }
    fields.push(`Version: ${p.version}`);
    if (rng.chance(0.08)) fields.push(`Replaces: ${rng.pick(names)} (<< ${debUpstream(rng)})`);
    if (rng.chance(0.05)) fields.push(`Provides: ${p.name.replace(/\d+$/, '')}-abi-${rng.int(1, 9)}`);
    if (rng.chance(0.04)) fields.push(`Pre-Depends: libc6 (>= 2.${rng.int(28, 36)})`);
    if (deps.length > 0) fields.push(`Depends: ${deps.join(', ')}`);
    if (rng.chance(0.2)) fields.push(`Recommends: ${rng.pick(names)}`);
    if (rng.chance(0.15)) fields.push(`Suggests: ${rng.pick(names)}, ${rng.pick(names)}`);
    if (rng.chance(0.05)) fields.push(`Breaks: ${rng.pick(names)} (<< ${debUpstream(rng)})`);
    if (rng.chance(0.08)) {
      fields.push('Conffiles:');
      for (let c = 0; c < rng.int(1, 3); c += 1) fields.push(` /etc/${p.name}/${rng.pick(WORDS)}.conf ${rng.bytes(16).toString('hex')}`);
    }
    fields.push(`Description: ${debDescription(rng, p.name)}`);
    if (p.source.homepage !== undefined) fields.push(`Homepage: ${p.source.homepage}`);
    status.push(fields.join('\n'));
    if (p.status.endsWith(' installed')) installed.push(p);
  }
  write(path.join(dir, 'var/lib/dpkg/status'), `${status.join('\n\n')}\n`);
  mkdirSync(path.join(dir, 'var/lib/dpkg/info'), { recursive: true });
  const purls = [...new Set(installed.map((p) => `pkg:deb/debian/${p.name}@${encodeURIComponent(p.version)}`))].sort();
  return {
    description: `Debian 12 root filesystem: etc/os-release and var/lib/dpkg/status with ${packages.length} entries (${installed.length} installed, ${packages.length - installed.length} 'deinstall ok config-files', ${i386.length} i386 multi-arch copies); no dpkg/info/*.list files, no usr/share/doc`,
    entries: packages.length,
    installed: installed.length,
    purls,
    // Not components of the answer key: listed so a tool that also reports source packages can be told apart.
    sourcePurls: [...new Set(installed.map((p) => `pkg:deb/debian/${p.source.name}@${encodeURIComponent(p.source.version)}`))].sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// A directory of 50,000 files

const PY_DISTS = [
  ['requests', '2.31.0', 'Apache-2.0'],
  ['urllib3', '2.1.0', 'MIT'],
  ['certifi', '2023.11.17', 'MPL-2.0'],
  ['idna', '3.6', 'BSD-3-Clause'],
  ['charset-normalizer', '3.3.2', 'MIT'],
  ['PyYAML', '6.0.1', 'MIT'],
  ['six', '1.16.0', 'MIT'],
  ['python-dateutil', '2.8.2', 'Apache-2.0 OR BSD-3-Clause'],
  ['attrs', '23.2.0', 'MIT'],
  ['Jinja2', '3.1.3', 'BSD-3-Clause'],
  ['MarkupSafe', '2.1.4', 'BSD-3-Clause'],
  ['click', '8.1.7', 'BSD-3-Clause'],
  ['packaging', '23.2', 'Apache-2.0 OR BSD-2-Clause'],
  ['setuptools', '69.0.3', 'MIT'],
  ['wheel', '0.42.0', 'MIT'],
  ['typing_extensions', '4.9.0', 'PSF-2.0'],
  ['zipp', '3.17.0', 'MIT'],
  ['importlib-metadata', '7.0.1', 'Apache-2.0'],
  ['pydantic', '2.5.3', 'MIT'],
  ['pydantic_core', '2.14.6', 'MIT'],
  ['annotated-types', '0.6.0', 'MIT'],
  ['Flask', '3.0.1', 'BSD-3-Clause'],
  ['Werkzeug', '3.0.1', 'BSD-3-Clause'],
  ['itsdangerous', '2.1.2', 'BSD-3-Clause'],
  ['blinker', '1.7.0', 'MIT'],
  ['ruamel.yaml', '0.18.5', 'MIT'],
  ['ruamel.yaml.clib', '0.2.8', 'MIT'],
  ['protobuf', '4.25.2', 'BSD-3-Clause'],
  ['grpcio', '1.60.0', 'Apache-2.0'],
  ['Pygments', '2.17.2', 'BSD-2-Clause'],
];

const TEXT_EXTENSIONS = [
  [18, 'ts'],
  [14, 'js'],
  [8, 'py'],
  [6, 'go'],
  [5, 'c'],
  [4, 'h'],
  [8, 'json'],
  [8, 'md'],
  [6, 'txt'],
  [5, 'csv'],
  [5, 'yaml'],
  [3, 'html'],
  [3, 'css'],
  [2, 'sql'],
  [2, 'xml'],
  [2, 'sh'],
];
const BINARY_EXTENSIONS = 'png jpg bin woff2 gz pdf'.split(' ');
const TOP_DIRS = 'services libs packages data docs assets tools scripts config web fixtures modules'.split(' ');

/** Names that tools treat as manifests: ordinary files must never be called this. */
const MANIFEST_NAMES = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'requirements.txt',
  'setup.py',
  'setup.cfg',
  'pyproject.toml',
  'poetry.lock',
  'pipfile',
  'pipfile.lock',
  'metadata',
  'pkg-info',
  'go.mod',
  'go.sum',
  'cargo.toml',
  'cargo.lock',
  'pom.xml',
  'build.gradle',
  'gemfile',
  'gemfile.lock',
  'composer.json',
  'composer.lock',
]);

function genBigDir(rng, dir) {
  const corpusWords = [];
  for (let i = 0; i < 120000; i += 1) corpusWords.push(rng.pick(WORDS) + (rng.chance(0.08) ? '\n' : ' '));
  const corpus = Buffer.from(corpusWords.join(''));
  const noise = rng.bytes(4 << 20);
  const relFiles = new Set();
  let count = 0;
  const put = (rel, content) => {
    if (relFiles.has(rel)) return false;
    relFiles.add(rel);
    write(path.join(dir, rel), content);
    count += 1;
    return true;
  };
  const truth = new Set();
  const manifests = [];

  // 12 npm projects (package.json + package-lock.json, no node_modules), 40-150 packages each.
  const services = [];
  for (let s = 0; s < 12; s += 1) services.push(`${rng.pick(['services', 'packages', 'web'])}/${rng.pick(WORDS)}-${rng.pick(WORDS)}-${s}`);
  services.forEach((svc, s) => {
    const project = npmProject(rng.fork(`svc-${s}`), {
      total: rng.int(40, 150),
      rootName: path.basename(svc),
      platformFamilies: 0,
      rootDirect: 15,
    });
    put(`${svc}/package.json`, json(rootManifestOf(project)));
    put(`${svc}/package-lock.json`, json(lockfileOf(project)));
    manifests.push(`${svc}/package-lock.json`);
    for (const purl of npmTruth(project)) truth.add(purl);
  });
  // Python distributions: *.dist-info directories in two site-packages trees (METADATA, RECORD, WHEEL, INSTALLER,
  // top_level.txt) with their import package beside them.
  const sitePackages = ['vendor/python/lib/python3.11/site-packages', `${services[0]}/pyenv/lib/python3.11/site-packages`];
  PY_DISTS.forEach(([name, version, license], i) => {
    const site = sitePackages[i % 3 === 2 ? 1 : 0];
    const distName = name.replace(/[-_.]+/g, '_');
    const info = `${site}/${distName}-${version}.dist-info`;
    const module = name.toLowerCase().replace(/[-.]/g, '_');
    const requires = [];
    for (let r = 0; r < rng.int(0, 3); r += 1) {
      const [dep] = rng.pick(PY_DISTS);
      if (dep !== name)
        requires.push(
          `Requires-Dist: ${dep}${rng.chance(0.5) ? ` (>=${rng.int(1, 3)}.0)` : ''}${rng.chance(0.2) ? ' ; extra == "socks"' : ''}`,
        );
    }
    const author = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    const metadata = [
      'Metadata-Version: 2.1',
      `Name: ${name}`,
      `Version: ${version}`,
      `Summary: ${rng.pick(WORDS)} ${rng.pick(WORDS)} for Python`,
      `Home-page: https://github.com/${rng.pick(WORDS)}/${module}`,
      `Author: ${author}`,
      `Author-email: ${author.toLowerCase().replace(' ', '.')}@example.org`,
      `License: ${license}`,
      'Classifier: Programming Language :: Python :: 3',
      'Classifier: Operating System :: OS Independent',
      'Requires-Python: >=3.8',
      ...requires,
      'Description-Content-Type: text/markdown',
      '',
      `# ${name}`,
      '',
      `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.pick(WORDS)}.`,
      '',
    ].join('\n');
    put(`${info}/METADATA`, metadata);
    put(`${info}/WHEEL`, 'Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n');
    put(`${info}/INSTALLER`, 'pip\n');
    put(`${info}/top_level.txt`, `${module}\n`);
    const moduleFiles = [`${module}/__init__.py`, `${module}/${rng.pick(WORDS)}.py`];
    for (const f of moduleFiles) put(`${site}/${f}`, `"""${name} ${version}."""\n__version__ = "${version}"\n`);
    const record = [
      ...moduleFiles.map((f) => `${f},sha256=${rng.bytes(32).toString('base64url')},${rng.int(40, 9000)}`),
      `${distName}-${version}.dist-info/METADATA,,`,
      `${distName}-${version}.dist-info/RECORD,,`,
    ].join('\n');
    put(`${info}/RECORD`, `${record}\n`);
    manifests.push(`${info}/METADATA`);
    truth.add(`pkg:pypi/${name.toLowerCase().replace(/[-_.]+/g, '-')}@${version}`);
  });

  // Ordinary files: leaf directories of 5-60 files, 1-6 levels deep, until the total is reached.
  while (count < SIZES.bigDirFiles) {
    const depth = rng.int(1, 6);
    const parts = [rng.pick(TOP_DIRS)];
    for (let d = 1; d < depth; d += 1) parts.push(rng.chance(0.2) ? `${rng.pick(WORDS)}${rng.int(1, 99)}` : rng.pick(WORDS));
    const leaf = parts.join('/');
    const files = Math.min(rng.int(5, 60), SIZES.bigDirFiles - count);
    for (let f = 0; f < files; f += 1) {
      const binary = rng.chance(0.05);
      const ext = binary ? rng.pick(BINARY_EXTENSIONS) : rng.weighted(TEXT_EXTENSIONS);
      const base = rng.chance(0.5) ? `${rng.pick(WORDS)}-${rng.pick(WORDS)}` : `${rng.pick(WORDS)}${rng.int(0, 999)}`;
      const name = `${base}.${ext}`;
      if (MANIFEST_NAMES.has(name.toLowerCase())) continue;
      let content;
      if (binary) {
        const size = rng.chance(0.02) ? rng.int(256 << 10, 2 << 20) : rng.int(1024, 64 << 10);
        const at = rng.int(0, noise.length - size);
        content = noise.subarray(at, at + size);
        if (ext === 'png') content = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), content]);
      } else {
        const size = rng.weighted([
          [70, rng.int(100, 2000)],
          [25, rng.int(2000, 12000)],
          [5, rng.int(12000, 80000)],
        ]);
        const at = rng.int(0, corpus.length - size);
        content = corpus.subarray(at, at + size);
      }
      put(`${leaf}/${name}`, content);
    }
  }
  return {
    description: `${count} files in nested directories (95% text, 5% binary); manifests: ${services.length} npm projects (package.json + package-lock.json, no node_modules) and ${PY_DISTS.length} *.dist-info directories in site-packages trees`,
    files: count,
    manifests: manifests.sort(),
    purls: [...truth].sort(),
  };
}

// ---------------------------------------------------------------------------------------------

const GENERATORS = {
  'npm-lock': genNpmLock,
  'npm-tree': genNpmTree,
  'debian-rootfs': genDebianRootfs,
  'big-dir': genBigDir,
};

/** Writes <out>/inputs/<name>/ and <out>/truth/<name>.json for each input; returns the manifest. */
export function generate({ out, seed = 20240601, only = INPUT_NAMES, log = () => {} }) {
  const manifest = { generator: 'bench/sbom/generate.mjs', generatorVersion: GENERATOR_VERSION, seed, inputs: {} };
  for (const name of only) {
    const started = process.hrtime.bigint();
    const dir = path.join(out, 'inputs', name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const rng = createRng(seed).fork(name);
    const result = GENERATORS[name](rng, dir);
    write(path.join(out, 'truth', `${name}.json`), json({ input: name, ...result }));
    const { purls, manifests: _m, sourcePurls: _s, ...summary } = result;
    manifest.inputs[name] = { dir: path.join('inputs', name), ...summary, truthPurls: purls.length };
    log(`generated ${name}: ${result.description}; ${purls.length} distinct purls (${Number(process.hrtime.bigint() - started) / 1e9}s)`);
  }
  write(path.join(out, 'manifest.json'), json(manifest));
  return manifest;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: path.resolve(import.meta.dirname, '..', '.work', 'sbom') },
      seed: { type: 'string', default: '20240601' },
      only: { type: 'string' },
    },
  });
  const only = values.only ? values.only.split(',') : INPUT_NAMES;
  for (const name of only)
    if (!INPUT_NAMES.includes(name)) throw new Error(`--only: unknown input '${name}' (one of ${INPUT_NAMES.join(', ')})`);
  generate({ out: path.resolve(values.out), seed: Number(values.seed), only, log: (line) => console.log(line) });
}
