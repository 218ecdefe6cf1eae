import path from 'node:path';
import {
  describeFile,
  digestFile,
  FactoryError,
  InputReader,
  isFactoryError,
  sourceDateEpoch,
  writeFileAtomic,
  type FileRecord,
  type RawInputs,
  type StageContext,
  type StageDefinition,
  type StageResult,
} from '@packaging-factory/core';
import { catalogDeb, linkDebDependencies, type DebCatalog } from './catalog/deb-cataloger.ts';
import type { NpmLockMismatch, NpmPackageAt, NpmProjectReport } from './catalog/npm-installed-cataloger.ts';
import { mergeComponents, type SbomCatalog, type SbomComponent, type SbomSource } from './catalog/sbom-component.ts';
import { CYCLONEDX_LIBRARY, CYCLONEDX_SPEC_VERSIONS, renderCycloneDxJson, type CycloneDxSpecVersion } from './cyclonedx/cyclonedx-json.ts';
import { renderSpdxJson } from './spdx/spdx-json.ts';
import { findDistroRelease } from './catalog/linux/index.ts';
import { CATALOGERS } from './catalog/registry.ts';
import { cell, countComponents, countTables, unreadableTable, type ComponentCounts } from './sbom-summary.ts';
import { expandSbomInputs, type FoundInput } from './sbom-inputs.ts';

export const SBOM_FORMATS = ['cyclonedx-json', 'spdx-json', 'both'] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

export interface GenerateSbomOptions {
  /** Files, directories or glob patterns, as given (resolved against the working directory at run time). */
  paths: string[];
  format: SbomFormat;
  /** CycloneDX path (formats cyclonedx-json and both), absolute. */
  cyclonedxOutput?: string;
  /** SPDX path (formats spdx-json and both), absolute. */
  spdxOutput?: string;
  cyclonedxVersion: CycloneDxSpecVersion;
  sourceDateEpoch?: number;
  /** What a file the catalogers matched but could not read does: fail the stage (default) or be listed. */
  onUnreadable: 'fail' | 'warn';
}

const INPUTS = {
  paths: {
    description:
      'Files, directories or glob patterns to catalogue. Directories are walked (root filesystems too: their os-release gives OS packages a distro qualifier).',
    kind: 'paths',
    required: true,
  },
  format: {
    description:
      'SBOM format to write: CycloneDX JSON, SPDX 2.3 JSON, or both (each validated against its schema before anything is written).',
    kind: 'choice',
    default: 'cyclonedx-json',
    choices: SBOM_FORMATS,
  },
  output: {
    description:
      'Path of the SBOM to write (the CycloneDX one when format is both). Default: factory-out/sbom.cdx.json, or factory-out/sbom.spdx.json for spdx-json.',
    kind: 'path',
  },
  'spdx-output': {
    description: 'Path of the SPDX SBOM when format is both. Default: the output path with .spdx.json in place of .cdx.json.',
    kind: 'path',
  },
  'cyclonedx-version': {
    description: 'CycloneDX specification version to write: 1.6, or 1.5 for consumers that do not read 1.6 yet.',
    kind: 'choice',
    default: '1.6',
    choices: CYCLONEDX_SPEC_VERSIONS,
  },
  'on-unreadable': {
    description:
      'What a file found in a directory walk that a cataloger recognised but could not read does: fail (the SBOM would miss it, so the scan could not see it) or warn (listed in the summary and evidence).',
    kind: 'choice',
    default: 'fail',
    choices: ['fail', 'warn'],
  },
  'source-date-epoch': {
    description: 'Timestamp (seconds since 1970) for metadata.timestamp; defaults to SOURCE_DATE_EPOCH, else no timestamp.',
    kind: 'number',
  },
} as const satisfies StageDefinition<GenerateSbomOptions>['inputs'];

function parse(raw: RawInputs, ctx: { workDir: string; env: NodeJS.ProcessEnv }): GenerateSbomOptions {
  const reader = new InputReader(raw, INPUTS, ctx.workDir);
  const options: GenerateSbomOptions = {
    paths: reader.requiredList('paths'),
    format: reader.choice<SbomFormat>('format'),
    cyclonedxVersion: reader.choice<CycloneDxSpecVersion>('cyclonedx-version'),
    onUnreadable: reader.choice<'fail' | 'warn'>('on-unreadable'),
  };
  const output = reader.optionalPath('output');
  const spdxOutput = reader.optionalPath('spdx-output');
  if (options.format === 'spdx-json') {
    if (spdxOutput !== undefined) {
      throw new FactoryError('INPUT_INVALID', "input 'spdx-output' is only used with format: both; with spdx-json, set 'output'", {
        subject: 'spdx-output',
      });
    }
    options.spdxOutput = output ?? path.resolve(ctx.workDir, 'factory-out/sbom.spdx.json');
  } else {
    options.cyclonedxOutput = output ?? path.resolve(ctx.workDir, 'factory-out/sbom.cdx.json');
    if (options.format === 'both') {
      options.spdxOutput = spdxOutput ?? options.cyclonedxOutput.replace(/(\.cdx)?\.json$/, '') + '.spdx.json';
      if (options.spdxOutput === options.cyclonedxOutput) {
        throw new FactoryError('INPUT_INVALID', "inputs 'output' and 'spdx-output' name the same file", { subject: 'spdx-output' });
      }
    } else if (spdxOutput !== undefined) {
      throw new FactoryError('INPUT_INVALID', "input 'spdx-output' is only used with format: both", { subject: 'spdx-output' });
    }
  }
  const epoch = reader.optional('source-date-epoch');
  if (epoch !== undefined) {
    if (!/^\d+$/.test(epoch)) {
      throw new FactoryError('INPUT_INVALID', `input 'source-date-epoch' must be whole seconds since 1970-01-01 UTC, got '${epoch}'`, {
        subject: 'source-date-epoch',
      });
    }
    options.sourceDateEpoch = Number(epoch);
  }
  return options;
}

function displayPath(file: string, workDir: string): string {
  const relative = path.relative(workDir, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

/** The merged catalogue, with what the .deb inputs' npm cross-checks found. */
export interface CataloguedInputs extends SbomCatalog {
  /** Per npm project shipped in a .deb (`source` is the .deb as shown), in input order. */
  npmProjects: { source: string; report: NpmProjectReport }[];
  /** node_modules package directories without a package.json, per .deb. */
  npmUnidentified: { source: string; dir: string }[];
  /** What the catalogers noted (not failures). */
  notes: string[];
  /** Files inside the inputs that could not be read, and why. */
  unreadable: { file: string; reason: string }[];
}

/** Archives inside archives are opened this deep, no deeper (a zip of a tar of a zip...). */
const MAX_NESTING = 4;

interface Cataloguing {
  lists: SbomComponent[][];
  debs: DebCatalog[];
  sources: SbomSource[];
  npmProjects: CataloguedInputs['npmProjects'];
  npmUnidentified: CataloguedInputs['npmUnidentified'];
  notes: string[];
  unreadable: CataloguedInputs['unreadable'];
}

interface Level {
  /** How a file at this level is named to users. */
  shownOf: (file: string) => string;
  /** Evidence records of top-level inputs; nested files live in temp dirs and are not recorded. */
  records?: FileRecord[];
  depth: number;
}

async function catalogLevel(
  acc: Cataloguing,
  inputs: readonly FoundInput[],
  ctx: Pick<StageContext, 'exec' | 'workDir' | 'tempDir'>,
  level: Level,
): Promise<void> {
  for (const input of inputs) {
    const shown = level.shownOf(input.file);
    const kind = input.cataloger.kind;
    let sha256: string;
    if (level.records === undefined) {
      sha256 = await digestFile(input.file);
    } else {
      const record = await describeFile(input.file, input.cataloger.role, ctx.workDir);
      level.records.push(record);
      sha256 = record.sha256;
    }
    acc.sources.push({ file: shown, kind, sha256 });
    try {
      if (kind === 'deb') {
        // The .deb cataloguer also cross-checks shipped npm trees against their lockfiles (the mismatch gate).
        const catalog = await catalogDeb(input.file, ctx.exec, shown);
        acc.debs.push(catalog);
        acc.lists.push(catalog.components);
        for (const report of catalog.npmProjects) acc.npmProjects.push({ source: shown, report });
        for (const dir of catalog.npmUnidentified) acc.npmUnidentified.push({ source: shown, dir });
        continue;
      }
      const output = await input.cataloger.catalog(
        { file: input.file, shown },
        {
          exec: ctx.exec,
          workDir: ctx.workDir,
          tempDir: ctx.tempDir,
          ...(input.root === undefined ? {} : { root: input.root }),
          ...(input.distro === undefined ? {} : { distro: input.distro }),
          catalogNested: async (dir: string) => {
            if (level.depth + 1 > MAX_NESTING) {
              acc.unreadable.push({ file: shown, reason: `archives nested deeper than ${MAX_NESTING} levels are not opened` });
              return;
            }
            const found = await expandSbomInputs([dir], dir, CATALOGERS, { distroOf: findDistroRelease });
            await catalogLevel(acc, found, ctx, {
              shownOf: (file) => `${shown}:${path.relative(dir, file).split(path.sep).join('/')}`,
              depth: level.depth + 1,
            });
          },
        },
      );
      acc.lists.push(output.components);
      acc.notes.push(...output.notes);
      acc.unreadable.push(...output.unreadable);
    } catch (error) {
      // A file named by the user fails the stage as it is. One found by a walk is listed as
      // unreadable (the on-unreadable input decides whether that fails), except a hostile archive,
      // which always stops the run.
      if (input.explicit || !isFactoryError(error) || error.code === 'ARCHIVE_UNSAFE') throw error;
      acc.unreadable.push({ file: shown, reason: `${error.code}: ${error.message}` });
    }
  }
}

/** Catalogues the inputs into one merged catalogue (deb dependencies linked by name). */
export async function catalogInputs(
  inputs: readonly FoundInput[],
  ctx: Pick<StageContext, 'exec' | 'workDir' | 'tempDir'>,
  records: FileRecord[],
): Promise<CataloguedInputs> {
  const acc: Cataloguing = { lists: [], debs: [], sources: [], npmProjects: [], npmUnidentified: [], notes: [], unreadable: [] };
  await catalogLevel(acc, inputs, ctx, { shownOf: (file) => displayPath(file, ctx.workDir), records, depth: 0 });
  const merged = mergeComponents(acc.lists);
  const placeholders = linkDebDependencies(acc.debs, merged);
  const components = mergeComponents([merged, placeholders]);
  return {
    components,
    sources: acc.sources,
    npmProjects: acc.npmProjects,
    npmUnidentified: acc.npmUnidentified,
    notes: acc.notes,
    unreadable: acc.unreadable,
  };
}

const LISTED = 20;

function listed<T>(items: readonly T[], show: (item: T) => string): string {
  const shown = items.slice(0, LISTED).map(show).join(', ');
  return items.length > LISTED ? `${shown} and ${items.length - LISTED} more` : shown;
}

function nameAt(name: string, version: string): string {
  return `${name}@${version === '' ? '(no version)' : version}`;
}

function at(pkg: NpmPackageAt): string {
  return `${nameAt(pkg.name, pkg.version)} at ${pkg.path}`;
}

/** The cross-check for the evidence record: counts, and every mismatch in full (the notes list the rest). */
function npmDetails(catalog: CataloguedInputs): Record<string, unknown>[] {
  return catalog.npmProjects.map(({ source, report }) => ({
    package: source,
    dir: report.dir,
    lockfile: report.lockfile ?? null,
    installed: report.installed,
    mismatches: report.mismatches,
    notInLockfile: report.notInLockfile.length,
    notInstalled: report.notInstalled.length,
    linkedOut: report.external.length,
  }));
}

/**
 * What the cross-check found that does not fail the stage, one note per finding kind and project.
 * Installed truth wins: installed packages the lockfile misses are components; lockfile entries
 * not installed are `excluded` components (a lockfile records intent, not content).
 */
function npmNotes(catalog: CataloguedInputs): string[] {
  const notes: string[] = [];
  for (const { source, report } of catalog.npmProjects) {
    const lock = report.lockfile;
    if (lock === undefined) {
      if (report.installed > 0) {
        notes.push(
          `${source}: no npm lockfile in ${report.dir}: ${report.installed} installed npm package(s) catalogued from their package.json files alone (no integrity hashes, no dev/optional marks)`,
        );
      }
    } else {
      if (report.notInLockfile.length > 0) {
        notes.push(
          `${source}: ${report.notInLockfile.length} installed npm package(s) are not in ${lock}, catalogued from their package.json: ${listed(report.notInLockfile, at)}`,
        );
      }
      if (report.notInstalled.length > 0) {
        notes.push(
          `${source}: ${report.notInstalled.length} production entr${report.notInstalled.length === 1 ? 'y' : 'ies'} of ${lock} are not installed, listed with scope excluded: ${listed(report.notInstalled, at)}`,
        );
      }
    }
    if (report.external.length > 0) {
      notes.push(
        `${source}: ${report.external.length} npm package(s) are symlinks out of this package, their versions not verified here: ${listed(report.external, (e) => `${e.path} → ${e.target}`)}`,
      );
    }
  }
  const unidentified = catalog.npmUnidentified;
  if (unidentified.length > 0) {
    notes.push(
      `node_modules package directories without a package.json (not catalogued; nothing identifies them): ${listed(unidentified, (u) => `${u.source}:${u.dir}`)}`,
    );
  }
  return notes;
}

function npmTable(catalog: CataloguedInputs): string[] {
  if (catalog.npmProjects.length === 0) return [];
  return [
    '| Package | npm project | Lockfile | Installed | Differ from lockfile | Not in lockfile | Locked, not installed | Linked out |',
    '|---|---|---|---|---|---|---|---|',
    ...catalog.npmProjects.map(
      ({ source, report: r }) =>
        `| ${cell(source)} | ${cell(r.dir)} | ${r.lockfile === undefined ? 'none' : cell(r.lockfile)} | ${r.installed} | ${r.mismatches.length} | ${r.notInLockfile.length} | ${r.notInstalled.length} | ${r.external.length} |`,
    ),
    '',
  ];
}

function mismatchLine(m: NpmLockMismatch & { source: string; lockfile: string }): string {
  return `${m.source}:${m.path} is ${nameAt(m.installedName, m.installedVersion)}, ${m.lockfile} says ${nameAt(m.lockedName, m.lockedVersion)}`;
}

/** A failed result that wrote no SBOM: one headline, optional tables, one error. */
function noSbom(
  error: FactoryError,
  headline: string,
  records: FileRecord[],
  extra: { body?: string[]; details?: Record<string, unknown>; notes?: string[] } = {},
): StageResult {
  return {
    status: 'failed',
    decision: { result: 'fail', reason: error.message },
    inputs: records,
    outputs: [],
    outputValues: {},
    summary: ['### generate-sbom', '', `No SBOM written: ${headline}`, '', ...(extra.body ?? [])].join('\n'),
    ...(extra.details === undefined ? {} : { details: extra.details }),
    ...(extra.notes === undefined ? {} : { notes: extra.notes }),
    errors: [error],
  };
}

/**
 * The gate: a .deb whose installed npm packages contradict the lockfile it ships. Either document
 * alone would give a wrong SBOM (the lockfile's versions are not what runs), so no SBOM is written.
 */
function mismatchFailure(catalog: CataloguedInputs, records: FileRecord[]): StageResult | undefined {
  const mismatches = catalog.npmProjects.flatMap(({ source, report }) =>
    report.mismatches.map((m) => ({ ...m, source, lockfile: report.lockfile ?? '' })),
  );
  const [first] = mismatches;
  if (first === undefined) return undefined;
  const message = `${mismatches.length} installed npm package(s) differ from the lockfile shipped beside them: ${listed(mismatches, mismatchLine)}`;
  const error = new FactoryError('SBOM_LOCKFILE_MISMATCH', message, {
    subject: `${first.source}:${first.path}`,
    hint: 'rebuild the package from a clean install (npm ci) so node_modules matches the lockfile, or ship the lockfile npm wrote for this tree',
  });
  return noSbom(
    error,
    'installed npm packages differ from the lockfile shipped with them, so the lockfile misstates what the package contains.',
    records,
    {
      body: [
        '| Package | Install path | Installed | Lockfile | Locked |',
        '|---|---|---|---|---|',
        ...mismatches.map(
          (m) =>
            `| ${cell(m.source)} | ${cell(m.path)} | ${cell(nameAt(m.installedName, m.installedVersion))} | ${cell(m.lockfile)} | ${cell(nameAt(m.lockedName, m.lockedVersion))} |`,
        ),
        '',
        ...npmTable(catalog),
      ],
      details: { npmProjects: npmDetails(catalog) },
      notes: npmNotes(catalog),
    },
  );
}

function summaryFor(counts: ComponentCounts, written: string, catalog: CataloguedInputs, notes: readonly string[]): string {
  const sources = catalog.sources;
  return [
    '### generate-sbom',
    '',
    `${written} from ${sources.length} input${sources.length === 1 ? '' : 's'}: ${counts.total} components.`,
    '',
    ...countTables(counts),
    '| Input | Kind | SHA-256 |',
    '|---|---|---|',
    ...sources.slice(0, 50).map((s) => `| ${cell(s.file)} | ${s.kind} | \`${s.sha256.slice(0, 16)}…\` |`),
    ...(sources.length > 50 ? [`| _${sources.length - 50} more inputs (all in the evidence pack)_ | | |`] : []),
    '',
    ...unreadableTable(catalog.unreadable),
    ...npmTable(catalog),
    ...notes.map((n) => `- ${n}`),
    ...(notes.length > 0 ? [''] : []),
  ].join('\n');
}

function incompleteFailure(catalog: CataloguedInputs, records: FileRecord[]): StageResult {
  const [first] = catalog.unreadable;
  const message = `${catalog.unreadable.length} file(s) recognised as packages could not be read, so the SBOM would miss them: ${listed(catalog.unreadable, (u) => `${u.file} (${u.reason})`)}`;
  const error = new FactoryError('SBOM_INCOMPLETE', message, {
    subject: first?.file ?? 'paths',
    hint: 'repair or remove the files listed, or set on-unreadable: warn to write the SBOM without them (they stay listed in the evidence)',
  });
  return noSbom(
    error,
    'some files recognised as packages could not be read, and an SBOM without them would hide their vulnerabilities from the scan.',
    records,
    { body: unreadableTable(catalog.unreadable), details: { unreadable: catalog.unreadable } },
  );
}

async function run(options: GenerateSbomOptions, ctx: StageContext): Promise<StageResult> {
  const inputs = await expandSbomInputs(options.paths, ctx.workDir, CATALOGERS, { distroOf: findDistroRelease });
  if (inputs.length === 0) {
    const error = new FactoryError('SBOM_EMPTY', `no package, lockfile or package database found in: ${options.paths.join(', ')}`, {
      subject: 'paths',
      hint: 'point paths at the built package (factory-out/packages/*.deb), a lockfile, or a directory or root filesystem holding them',
    });
    return noSbom(error, 'no package, lockfile or package database found in the paths given.', []);
  }
  const records: FileRecord[] = [];
  const catalog = await catalogInputs(inputs, ctx, records);
  const failure = mismatchFailure(catalog, records);
  if (failure !== undefined) return failure;
  if (catalog.unreadable.length > 0 && options.onUnreadable === 'fail') return incompleteFailure(catalog, records);
  const counts = countComponents(catalog.components);
  const total = counts.total;
  if (total === 0) {
    const error = new FactoryError('SBOM_EMPTY', `the inputs (${inputs.map((i) => i.file).join(', ')}) hold no components`, {
      subject: 'paths',
    });
    return noSbom(error, 'the inputs hold no components.', records);
  }
  let epoch = options.sourceDateEpoch;
  const notes = [...npmNotes(catalog), ...catalog.notes];
  for (const u of catalog.unreadable) ctx.logger.warn(`generate-sbom: could not read ${u.file}: ${u.reason}`);
  for (const note of notes) ctx.logger.warn(`generate-sbom: ${note}`);
  if (epoch === undefined) epoch = sourceDateEpoch(ctx.env);
  if (epoch === undefined && options.cyclonedxOutput !== undefined)
    notes.push('no source-date-epoch or SOURCE_DATE_EPOCH: metadata.timestamp omitted');
  const timestamp = epoch === undefined ? undefined : new Date(epoch * 1000);
  // Both documents are rendered and validated before either is written: no half-written pair.
  const documents: { path: string; text: string; label: string }[] = [];
  let serialNumber: string | undefined;
  let documentNamespace: string | undefined;
  if (options.cyclonedxOutput !== undefined) {
    ctx.exec.recordTool(CYCLONEDX_LIBRARY);
    const text = await renderCycloneDxJson(catalog, {
      specVersion: options.cyclonedxVersion,
      ...(timestamp === undefined ? {} : { timestamp }),
    });
    serialNumber = (JSON.parse(text) as { serialNumber?: string }).serialNumber;
    documents.push({ path: options.cyclonedxOutput, text, label: `CycloneDX ${options.cyclonedxVersion} JSON` });
  }
  if (options.spdxOutput !== undefined) {
    if (timestamp === undefined)
      notes.push('SPDX requires creationInfo.created: without an epoch it is 1970-01-01T00:00:00Z, so the document stays reproducible');
    const text = await renderSpdxJson(catalog, timestamp === undefined ? {} : { timestamp });
    documentNamespace = (JSON.parse(text) as { documentNamespace?: string }).documentNamespace;
    documents.push({ path: options.spdxOutput, text, label: 'SPDX 2.3 JSON' });
  }
  const outputs: FileRecord[] = [];
  for (const document of documents) {
    await writeFileAtomic(document.path, document.text);
    const record = await describeFile(document.path, 'sbom', ctx.workDir);
    outputs.push(record);
    ctx.logger.info(`generate-sbom: wrote ${record.path} (${document.label}) with ${total} components`);
  }
  const written = documents
    .map((d, i) => `${d.label} \`${outputs[i]?.name ?? ''}\` (sha256 \`${outputs[i]?.sha256 ?? ''}\`)`)
    .join(' and ');
  const primary = options.cyclonedxOutput ?? options.spdxOutput ?? '';
  return {
    status: 'passed',
    decision: {
      result: 'pass',
      reason: `${total} components from ${inputs.length} input(s), schema-valid ${documents.map((d) => d.label).join(' and ')}`,
    },
    inputs: records,
    outputs,
    outputValues: {
      sbom: primary,
      cyclonedx: options.cyclonedxOutput ?? '',
      spdx: options.spdxOutput ?? '',
      'component-count': String(total),
    },
    summary: summaryFor(counts, written, catalog, notes),
    details: {
      format: options.format,
      ...(options.cyclonedxOutput === undefined ? {} : { specVersion: options.cyclonedxVersion, serialNumber }),
      ...(options.spdxOutput === undefined ? {} : { spdxVersion: 'SPDX-2.3', documentNamespace }),
      componentCount: total,
      byEcosystem: counts.byEcosystem,
      declaredOnly: counts.declaredOnly,
      byLicense: Object.fromEntries([...counts.byLicense.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))),
      unreadable: catalog.unreadable,
      validated: true,
      npmProjects: npmDetails(catalog),
    },
    notes,
  };
}

/**
 * The generate-sbom stage: catalogues packages, lockfiles and package databases into validated CycloneDX and/or SPDX SBOMs.
 * Fails SBOM_LOCKFILE_MISMATCH when a .deb's installed npm packages contradict the lockfile it ships.
 */
export const generateSbomStage: StageDefinition<GenerateSbomOptions> = {
  name: 'generate-sbom',
  title: 'Generate SBOM',
  description:
    'Catalogues packages (deb, rpm, apk, npm, Python, APK, MSI, MSIX, .intunewin, macOS pkg), lockfiles, package databases and root filesystems into a schema-validated, reproducible CycloneDX 1.6/1.5 and/or SPDX 2.3 SBOM.',
  inputs: INPUTS,
  outputs: {
    sbom: { description: 'Path of the SBOM written (the CycloneDX one when format is both): what the scan stage reads.' },
    cyclonedx: { description: 'Path of the CycloneDX SBOM, empty when none was written.' },
    spdx: { description: 'Path of the SPDX 2.3 SBOM, empty when none was written.' },
    'component-count': { description: 'Number of components in the SBOM (packages and files).' },
  },
  positional: 'paths',
  parse,
  run,
};
