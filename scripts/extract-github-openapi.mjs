#!/usr/bin/env node
// Extracts the GitHub REST operations our loopback fake serves (and every component they $ref,
// transitively) from GitHub's official OpenAPI description, as packaged by @octokit/openapi, into
// test/support/github-fake/openapi-subset.json.
//
//   node scripts/extract-github-openapi.mjs           write the subset
//   node scripts/extract-github-openapi.mjs --check   exit 1 when the committed subset drifted
//   --subset FILE                                      another subset file (tests of the drift check)
//
// Flavour: the GHES 3.19 description. The fake is GHES-shaped (API under /api/v3, uploads under
// /api/uploads), and that description's servers say exactly that. Its schemas are OpenAPI 3.0.3
// (`nullable`), which the fake converts to JSON Schema draft-07 for ajv.
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FLAVOUR = 'ghes-3.19';

/** The operations the fake implements, by operationId. */
const OPERATIONS = [
  'repos/create-release',
  'repos/delete-release-asset',
  'repos/get-release',
  'repos/get-release-asset',
  'repos/get-release-by-tag',
  'repos/list-release-assets',
  'repos/list-releases',
  'repos/update-release',
  'repos/upload-release-asset',
];

/**
 * Components the fake needs that no listed operation references: GitHub answers 401 on every
 * operation without credentials, though the description only declares it on some.
 */
const EXTRA_COMPONENTS = ['#/components/responses/requires_authentication'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const subsetArg = process.argv.indexOf('--subset');
const target =
  subsetArg > 0 && process.argv[subsetArg + 1] !== undefined
    ? path.resolve(process.argv[subsetArg + 1])
    : path.join(root, 'test/support/github-fake/openapi-subset.json');
const require = createRequire(import.meta.url);

async function loadDescription() {
  const packageJson = require('@octokit/openapi/package.json');
  const file = require.resolve(`@octokit/openapi/generated/${FLAVOUR}.json`);
  const description = JSON.parse(await readFile(file, 'utf8'));
  return { description, version: packageJson.version };
}

function pointerGet(document, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  let node = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) throw new Error(`dangling $ref ${ref}`);
    node = node[key];
  }
  return node;
}

/**
 * Media-type `examples` point at large example components the fake never reads; dropping them
 * keeps the subset reviewable. Everything else is copied verbatim.
 */
function withoutExamples(value, parentKey) {
  if (Array.isArray(value)) return value.map((item) => withoutExamples(item));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'examples' && parentKey !== 'properties') continue;
    out[key] = withoutExamples(child, key);
  }
  return out;
}

function collectRefs(value, found) {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') found.push(child);
      else collectRefs(child, found);
    }
  }
}

function sortKeysDeep(value) {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep(value[key]);
  return out;
}

export function extract(description, version) {
  const paths = {};
  const wanted = new Set(OPERATIONS);
  for (const [route, item] of Object.entries(description.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (operation === null || typeof operation !== 'object' || !wanted.has(operation.operationId)) continue;
      paths[route] ??= {};
      paths[route][method] = withoutExamples(operation);
      wanted.delete(operation.operationId);
    }
  }
  if (wanted.size > 0) throw new Error(`operations missing from ${FLAVOUR}: ${[...wanted].join(', ')}`);

  // Copy referenced components until no new $ref appears (schemas refer to schemas).
  const components = {};
  const pending = [...EXTRA_COMPONENTS];
  collectRefs(paths, pending);
  const seen = new Set();
  while (pending.length > 0) {
    const ref = pending.pop();
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [, , section, name] = ref.split('/');
    if (section === undefined || name === undefined) throw new Error(`unexpected $ref ${ref}`);
    const component = withoutExamples(pointerGet(description, ref));
    components[section] ??= {};
    components[section][name] = component;
    collectRefs(component, pending);
  }

  return sortKeysDeep({
    'x-extracted-from': {
      package: '@octokit/openapi',
      version,
      file: `generated/${FLAVOUR}.json`,
      descriptionVersion: description.info.version,
      operations: OPERATIONS,
      note: 'Generated by scripts/extract-github-openapi.mjs; media-type examples dropped. Do not edit by hand.',
    },
    openapi: description.openapi,
    info: { title: description.info.title, version: description.info.version },
    servers: description.servers,
    paths,
    components,
  });
}

/** JSON pointers where two documents differ (first few), for a readable --check report. */
function differences(a, b, pointer = '', out = []) {
  if (out.length >= 20) return out;
  if (a === b) return out;
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object';
  if (!bothObjects || Array.isArray(a) !== Array.isArray(b)) {
    out.push(pointer || '/');
    return out;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of [...keys].sort()) {
    const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!(key in a) || !(key in b)) out.push(child);
    else differences(a[key], b[key], child, out);
  }
  return out;
}

async function main() {
  const check = process.argv.includes('--check');
  const { description, version } = await loadDescription();
  const subset = extract(description, version);
  if (!check) {
    await writeFile(target, `${JSON.stringify(subset, null, 2)}\n`);
    console.log(`wrote ${path.relative(root, target)} from @octokit/openapi ${version} (${FLAVOUR}), ${OPERATIONS.length} operations`);
    return;
  }
  let committed;
  try {
    committed = JSON.parse(await readFile(target, 'utf8'));
  } catch (error) {
    console.error(`cannot read ${path.relative(root, target)}: ${error.message}`);
    process.exit(1);
  }
  // Compare parsed documents, so reformatting the committed file (prettier) is not drift.
  const drift = differences(committed, subset);
  if (drift.length === 0) {
    console.log(`${path.relative(root, target)} matches @octokit/openapi ${version} (${FLAVOUR})`);
    return;
  }
  console.error(`${path.relative(root, target)} drifted from @octokit/openapi ${version} (${FLAVOUR}) at:`);
  for (const pointer of drift) console.error(`  ${pointer}`);
  console.error('re-run: node scripts/extract-github-openapi.mjs, then review the diff and the fake');
  process.exit(1);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
