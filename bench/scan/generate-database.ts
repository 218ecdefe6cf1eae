/**
 * Builds a synthetic OSV database shaped like the real one: every record is a real advisory from
 * ../shared/fixtures/osv-matching/db (GHSA, PYSEC, GO, DLA/DSA, Alpine) with a new id, new aliases,
 * a new package name and a new `modified`; ranges (introduced/fixed/last_affected/limit), `versions`
 * lists, severities, details and references stay as the real record has them, so sizes and shapes are
 * real. Written as osv.dev's per-ecosystem dumps (`<Ecosystem>/all.zip`, flat `<ID>.json` entries)
 * and, optionally, as a directory of JSON files. Deterministic for a given seed.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yazl from 'yazl';

/** A generated database's share per ecosystem: roughly osv.dev's mix of the ecosystems we have templates for. */
export const ECOSYSTEM_WEIGHTS: Readonly<Record<string, number>> = {
  npm: 0.25,
  PyPI: 0.12,
  Maven: 0.08,
  Go: 0.05,
  Debian: 0.3,
  Alpine: 0.2,
};

export interface GeneratedComponent {
  ecosystem: string;
  release?: string;
  name: string;
  version: string;
}

export interface GeneratedDatabase {
  records: number;
  /** Records per ecosystem. */
  perEcosystem: Record<string, number>;
  /** Distinct package names per ecosystem. */
  packages: Record<string, number>;
  /** Bytes of JSON written (pretty-printed like osv.dev's exports). */
  jsonBytes: number;
  zips: string[];
  jsonDir?: string;
}

type Json = Record<string, unknown>;

/** mulberry32: a tiny seeded generator, enough for reproducible synthetic data (not for security). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function loadTemplates(fixtureDb: string): Promise<Map<string, Json[]>> {
  const templates = new Map<string, Json[]>();
  for (const ecosystem of Object.keys(ECOSYSTEM_WEIGHTS)) {
    const dir = path.join(fixtureDb, ecosystem);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    const records: Json[] = [];
    for (const file of files) {
      const record = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Json;
      // Withdrawn templates would only shrink the database in use.
      if (record['withdrawn'] === undefined) records.push(record);
    }
    templates.set(ecosystem, records);
  }
  return templates;
}

/** A package name as the ecosystem spells them. */
export function syntheticName(ecosystem: string, index: number): string {
  switch (ecosystem) {
    case 'npm':
      return index % 5 === 0 ? `@scope${index % 97}/synthetic-pkg-${index}` : `synthetic-pkg-${index}`;
    case 'PyPI':
      return `synthetic-py-${index}`;
    case 'Maven':
      return `org.example${index % 211}:artifact-${index}`;
    case 'Go':
      return `example.com/org${index % 89}/module${index}`;
    case 'Debian':
      return `srcpkg${index}`;
    default:
      return `apkpkg${index}`;
  }
}

function idFor(ecosystem: string, template: Json, index: number): string {
  const year = 2015 + (index % 11);
  const original = String(template['id']);
  if (original.startsWith('GHSA-')) {
    const part = (n: number): string => n.toString(36).padStart(4, 'w').slice(-4);
    return `GHSA-${part(index)}-${part(index * 7 + 3)}-${part(index * 13 + 5)}`;
  }
  if (original.startsWith('PYSEC-')) return `PYSEC-${year}-${index}`;
  if (original.startsWith('GO-')) return `GO-${year}-${index}`;
  if (original.startsWith('DSA-')) return `DSA-${index}-1`;
  if (original.startsWith('DLA-')) return `DLA-${index}-1`;
  return ecosystem === 'Alpine' ? `ALPINE-CVE-${year}-${index}` : `CVE-${year}-${index}`;
}

function timestamp(random: () => number): string {
  const start = Date.UTC(2019, 0, 1);
  const span = Date.UTC(2025, 11, 31) - start;
  const micros = Math.floor(random() * 1e6)
    .toString()
    .padStart(6, '0');
  return `${new Date(start + Math.floor(random() * span)).toISOString().slice(0, 19)}.${micros}Z`;
}

/** One synthetic record from a real template: new id, aliases, names and timestamps; the rest as real. */
function synthesise(ecosystem: string, template: Json, index: number, packageIndex: number, random: () => number): Json {
  const record = structuredClone(template);
  const id = idFor(ecosystem, template, index);
  record['id'] = id;
  record['modified'] = timestamp(random);
  record['published'] = timestamp(random);
  // Pairs of records share a CVE alias, as a GHSA and a PYSEC record of the same flaw do.
  const aliases = template['aliases'];
  if (Array.isArray(aliases) && aliases.length > 0) {
    record['aliases'] = [`CVE-${2015 + (index % 11)}-${100000 + Math.floor(index / 2)}`];
  } else {
    delete record['aliases'];
  }
  delete record['related'];
  const names = new Map<string, string>();
  for (const affected of (record['affected'] as Json[] | undefined) ?? []) {
    const pkg = affected['package'] as Json | undefined;
    if (pkg === undefined) continue;
    const original = String(pkg['name']);
    let name = names.get(original);
    if (name === undefined) {
      name = syntheticName(ecosystem, packageIndex + names.size);
      names.set(original, name);
    }
    pkg['name'] = name;
    delete pkg['purl'];
    // Debian and Alpine templates already carry their release suffix; others keep the base name.
  }
  return record;
}

/**
 * Generates `count` records into `outDir`: `zips/<Ecosystem>/all.zip` and, with `json`, also
 * `json/<Ecosystem>/<ID>.json`. Returns counts and a list of components to match.
 */
export async function generateDatabase(options: {
  fixtureDb: string;
  outDir: string;
  count: number;
  seed?: number;
  json?: boolean;
}): Promise<GeneratedDatabase> {
  const templates = await loadTemplates(options.fixtureDb);
  const random = seededRandom(options.seed ?? 42);
  const ecosystems = Object.keys(ECOSYSTEM_WEIGHTS);
  const counts = ecosystems.map((e) => Math.round(options.count * ECOSYSTEM_WEIGHTS[e]!));
  counts[0]! += options.count - counts.reduce((a, b) => a + b, 0);
  const result: GeneratedDatabase = { records: 0, perEcosystem: {}, packages: {}, jsonBytes: 0, zips: [] };
  let serial = 1;
  for (const [e, ecosystem] of ecosystems.entries()) {
    const count = counts[e]!;
    const pool = templates.get(ecosystem)!;
    // About four advisories per package, as popular packages collect several over the years.
    const packageCount = Math.max(1, Math.floor(count / 4));
    const zipDir = path.join(options.outDir, 'zips', ecosystem);
    await mkdir(zipDir, { recursive: true });
    const jsonDir = path.join(options.outDir, 'json', ecosystem);
    if (options.json === true) await mkdir(jsonDir, { recursive: true });
    const zip = new yazl.ZipFile();
    const zipPath = path.join(zipDir, 'all.zip');
    const output = createWriteStream(zipPath);
    zip.outputStream.pipe(output);
    const names = new Set<string>();
    for (let i = 0; i < count; i++) {
      const template = pool[i % pool.length]!;
      const packageIndex = Math.floor(random() * packageCount);
      const record = synthesise(ecosystem, template, serial++, packageIndex, random);
      for (const affected of (record['affected'] as Json[] | undefined) ?? []) {
        const pkg = affected['package'] as Json | undefined;
        if (pkg !== undefined) names.add(String(pkg['name']));
      }
      const bytes = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
      result.jsonBytes += bytes.length;
      const entry = `${String(record['id'])}.json`;
      zip.addBuffer(bytes, entry, { mtime: new Date(Date.UTC(2025, 11, 31)), compress: true });
      if (options.json === true) await writeFile(path.join(jsonDir, entry), bytes);
    }
    zip.end();
    await once(output, 'close');
    result.zips.push(zipPath);
    result.perEcosystem[ecosystem] = count;
    result.packages[ecosystem] = names.size;
    result.records += count;
  }
  if (options.json === true) result.jsonDir = path.join(options.outDir, 'json');
  return result;
}

/**
 * Components to match: `count` packages, `hitRatio` of them named in the database (versions picked
 * from the real templates' version lists and range bounds, so some are affected and some not), the
 * rest absent from it. Written with the release suffix for Debian and Alpine.
 */
export async function generateComponents(options: {
  fixtureDb: string;
  generated: GeneratedDatabase;
  count: number;
  hitRatio?: number;
  seed?: number;
}): Promise<GeneratedComponent[]> {
  const templates = await loadTemplates(options.fixtureDb);
  const random = seededRandom(options.seed ?? 7);
  const hitRatio = options.hitRatio ?? 0.6;
  const ecosystems = Object.keys(ECOSYSTEM_WEIGHTS);
  const components: GeneratedComponent[] = [];
  for (let i = 0; i < options.count; i++) {
    const ecosystem = ecosystems[Math.floor(random() * ecosystems.length)]!;
    const pool = templates.get(ecosystem)!;
    const template = pool[Math.floor(random() * pool.length)]!;
    const affected = ((template['affected'] as Json[] | undefined) ?? [])[0] ?? {};
    const candidates = [
      ...((affected['versions'] as string[] | undefined) ?? []),
      ...((affected['ranges'] as { events: Record<string, string>[] }[] | undefined) ?? []).flatMap((r) =>
        r.events.map((event) => Object.values(event)[0]!).filter((v) => v !== '0'),
      ),
    ];
    const version = candidates.length > 0 ? candidates[Math.floor(random() * candidates.length)]! : '1.0.0';
    const packageCount = Math.max(1, Math.floor((options.generated.perEcosystem[ecosystem] ?? 4) / 4));
    const hit = random() < hitRatio;
    const name = hit ? syntheticName(ecosystem, Math.floor(random() * packageCount)) : `absent-${ecosystem.toLowerCase()}-${i}`;
    const pkg = affected['package'] as Json | undefined;
    const full = typeof pkg?.['ecosystem'] === 'string' ? pkg['ecosystem'] : ecosystem;
    const colon = full.indexOf(':');
    const component: GeneratedComponent = { ecosystem, name, version };
    if (colon >= 0) component.release = full.slice(colon + 1);
    components.push(component);
  }
  return components;
}
