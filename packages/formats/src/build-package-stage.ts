import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  describeFile,
  FactoryError,
  InputReader,
  sourceDateEpoch,
  type FileRecord,
  type RawInputs,
  type StageContext,
  type StageDefinition,
  type StageResult,
} from '@packaging-factory/core';
import { buildDeb, debMetadataProblems, type DebBuildMetadata } from './deb/build-deb.ts';
import { listDebFiles, readDebControl, type DebControl } from './deb/deb-package.ts';
import { detectFormat } from './detect.ts';

/** Formats build-package can produce today; others are refused with BUILD_UNSUPPORTED_FORMAT. */
export const BUILD_FORMATS = ['deb'] as const;
export type BuildFormat = (typeof BUILD_FORMATS)[number];

export interface BuildPackageOptions {
  format: BuildFormat;
  /** Staged install tree to package (exclusive with `package`). */
  sourceDir?: string;
  /** An already-built package to pass through (exclusive with `sourceDir`). */
  package?: string;
  /** Metadata for a build; for a pass-through, values given are checked against the package. */
  metadata: Partial<DebBuildMetadata> & Pick<DebBuildMetadata, 'architecture' | 'section' | 'priority' | 'depends'>;
  outputDir: string;
  /** Explicit epoch from the input; SOURCE_DATE_EPOCH and the tree's newest mtime are the fallbacks. */
  sourceDateEpoch?: number;
}

const INPUTS = {
  'source-dir': { description: 'Staged install tree to package (usr/, etc/, ...). Exclusive with package.', kind: 'path' },
  package: {
    description: 'An already-built package file to pass through: its digest is recorded and its metadata read. Exclusive with source-dir.',
    kind: 'path',
  },
  format: { description: 'Package format to build.', kind: 'choice', default: 'deb', choices: BUILD_FORMATS },
  name: { description: 'Package name (Debian Policy §5.6.7: lower case, digits, + - .).', kind: 'string' },
  version: { description: 'Package version ([epoch:]upstream[-revision], Debian Policy §5.6.12).', kind: 'string' },
  architecture: {
    description: "Architecture: 'all' for architecture-independent packages, or e.g. amd64, arm64.",
    kind: 'string',
    default: 'all',
  },
  maintainer: { description: "Maintainer as 'Full Name <email@example.org>'.", kind: 'string' },
  description: { description: 'Description: a one-line synopsis, optionally followed by lines of extended description.', kind: 'string' },
  depends: { description: 'Dependencies, one per line or comma separated (e.g. "nodejs (>= 18)", "a | b").', kind: 'string' },
  section: { description: 'Archive section (Debian Policy §5.6.4).', kind: 'string', default: 'misc' },
  priority: { description: 'Priority (required, important, standard, optional).', kind: 'string', default: 'optional' },
  homepage: { description: 'Upstream homepage URL.', kind: 'string' },
  'output-dir': { description: 'Directory the package is written to.', kind: 'path', default: 'factory-out/packages' },
  'source-date-epoch': {
    description:
      'Timestamp (seconds since 1970) for every file in the package; defaults to SOURCE_DATE_EPOCH, else the last git commit time of source-dir, else its newest mtime.',
    kind: 'number',
  },
} as const satisfies StageDefinition<BuildPackageOptions>['inputs'];

// The metadata inputs, by the DebBuildMetadata field they fill.
const METADATA_INPUT: Record<keyof DebBuildMetadata, keyof typeof INPUTS> = {
  name: 'name',
  version: 'version',
  architecture: 'architecture',
  maintainer: 'maintainer',
  description: 'description',
  depends: 'depends',
  section: 'section',
  priority: 'priority',
  homepage: 'homepage',
};

function parseEpoch(value: string | undefined, subject: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new FactoryError('INPUT_INVALID', `input '${subject}' must be whole seconds since 1970-01-01 UTC, got '${value}'`, { subject });
  }
  return Number(value);
}

function parse(raw: RawInputs, ctx: { workDir: string; env: NodeJS.ProcessEnv }): BuildPackageOptions {
  const reader = new InputReader(raw, INPUTS, ctx.workDir);
  const format = reader.string('format');
  if (!(BUILD_FORMATS as readonly string[]).includes(format)) {
    throw new FactoryError(
      'BUILD_UNSUPPORTED_FORMAT',
      `input 'format' is '${format}', but build-package can build only ${BUILD_FORMATS.join(', ')} so far`,
      {
        subject: 'format',
        hint: `use format: deb, or build the ${format} package with its own tool and pass it through the package input`,
      },
    );
  }
  const sourceDir = reader.optionalPath('source-dir');
  const pkg = reader.optionalPath('package');
  if (sourceDir !== undefined && pkg !== undefined) {
    throw new FactoryError('INPUT_INVALID', "inputs 'source-dir' and 'package' are mutually exclusive", {
      subject: 'source-dir',
      hint: 'give source-dir to build a package, or package to pass a built one through',
    });
  }
  if (sourceDir === undefined && pkg === undefined) {
    throw new FactoryError('INPUT_MISSING', "one of the inputs 'source-dir' or 'package' is required", {
      subject: 'source-dir',
      hint: 'give source-dir to build a package, or package to pass a built one through',
    });
  }
  const metadata: BuildPackageOptions['metadata'] = {
    architecture: reader.string('architecture'),
    section: reader.string('section'),
    priority: reader.string('priority'),
    depends: reader.list('depends'),
  };
  for (const field of ['name', 'version', 'maintainer', 'homepage'] as const) {
    const value = reader.optional(METADATA_INPUT[field]);
    if (value !== undefined) metadata[field] = value;
  }
  // Read untrimmed-per-line: the extended description keeps its line structure.
  const description = raw['description']?.replace(/\r\n/g, '\n').trim();
  if (description !== undefined && description !== '') metadata.description = description;
  const options: BuildPackageOptions = { format: format as BuildFormat, metadata, outputDir: reader.path('output-dir') };
  if (sourceDir !== undefined) {
    options.sourceDir = sourceDir;
    for (const field of ['name', 'version', 'maintainer', 'description'] as const) {
      if (metadata[field] === undefined) reader.string(METADATA_INPUT[field]);
    }
    const problems = debMetadataProblems(metadata as DebBuildMetadata);
    const [first] = problems;
    if (first !== undefined) {
      const input = METADATA_INPUT[first.field];
      const rest = problems.slice(1).map((p) => `${METADATA_INPUT[p.field]}: ${p.problem}`);
      throw new FactoryError(
        'BUILD_INVALID_METADATA',
        `input '${input}': ${first.problem}${rest.length > 0 ? `; also ${rest.join('; ')}` : ''}`,
        {
          subject: input,
          hint: 'fix the package metadata inputs',
        },
      );
    }
  }
  if (pkg !== undefined) options.package = pkg;
  const epoch = parseEpoch(reader.optional('source-date-epoch'), 'source-date-epoch');
  if (epoch !== undefined) options.sourceDateEpoch = epoch;
  return options;
}

/** Committer time of HEAD when `dir` is inside a git work tree (and git is installed), else undefined. */
async function lastCommitTime(dir: string, ctx: StageContext): Promise<number | undefined> {
  if ((await ctx.exec.which('git')) === undefined) return undefined;
  try {
    const result = await ctx.exec.run('git', ['-C', dir, 'log', '-1', '--format=%ct'], { okExitCodes: [0, 128], timeoutMs: 30_000 });
    const value = result.stdout.trim();
    return result.exitCode === 0 && /^\d+$/.test(value) ? Number(value) : undefined;
  } catch {
    return undefined;
  }
}

/** Newest mtime (whole seconds) of anything under `dir`, without following symlinks. */
async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  const entries = await readdir(dir, { recursive: true });
  for (const entry of entries) {
    const info = await lstat(path.join(dir, entry));
    newest = Math.max(newest, Math.floor(info.mtimeMs / 1000));
  }
  return newest;
}

function summaryTable(rows: [string, string][]): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return ['| Field | Value |', '|---|---|', ...rows.map(([k, v]) => `| ${escape(k)} | ${escape(v)} |`)].join('\n');
}

function passThroughMismatches(control: DebControl, metadata: BuildPackageOptions['metadata']): string[] {
  const problems: string[] = [];
  const check = (input: string, given: string | undefined, actual: string | undefined): void => {
    if (given !== undefined && given !== actual)
      problems.push(`input '${input}' is '${given}' but the package says '${actual ?? '(absent)'}'`);
  };
  check('name', metadata.name, control.package);
  check('version', metadata.version, control.version);
  check('maintainer', metadata.maintainer, control.maintainer);
  return problems;
}

async function passThrough(options: BuildPackageOptions & { package: string }, ctx: StageContext): Promise<StageResult> {
  const file = options.package;
  const format = await detectFormat(file);
  if (format !== options.format) {
    throw new FactoryError('BUILD_UNSUPPORTED_FORMAT', `input 'package' ${file} is not a ${options.format} package (detected: ${format})`, {
      subject: 'package',
      hint: 'pass a package of the selected format',
    });
  }
  const control = await readDebControl(file, ctx.exec);
  // Walk the whole data tree too: a package with entries escaping its root (ARCHIVE_UNSAFE) or a
  // corrupt payload must not be vouched for here and refused only later by generate-sbom.
  const data = await listDebFiles(file, ctx.exec);
  const mismatches = passThroughMismatches(control, options.metadata);
  if (mismatches.length > 0) {
    throw new FactoryError('BUILD_INVALID_METADATA', `${file}: ${mismatches.join('; ')}`, {
      subject: 'package',
      hint: 'leave the metadata inputs empty for a pass-through, or pass the package they describe',
    });
  }
  const record = await describeFile(file, 'artifact', ctx.workDir);
  const details = {
    mode: 'pass-through',
    format,
    package: control.package,
    version: control.version,
    architecture: control.architecture,
    installedSizeKiB: control.installedSize,
    depends: control.fields['Depends'] ?? '',
    fileCount: data.length,
  };
  const summary = [
    '### build-package',
    '',
    summaryTable([
      ['Mode', 'pass-through (already built)'],
      ['Package', control.package],
      ['Version', control.version],
      ['Architecture', control.architecture],
      ['File', record.name],
      ['SHA-256', `\`${record.sha256}\``],
      ['Size', `${record.size} bytes`],
    ]),
    '',
  ].join('\n');
  return {
    status: 'passed',
    decision: { result: 'pass', reason: `passed ${record.name} through unchanged` },
    inputs: [record],
    outputs: [record],
    outputValues: {
      package: file,
      sha256: record.sha256,
      'file-name': record.name,
      'package-name': control.package,
      'package-version': control.version,
    },
    summary,
    details,
  };
}

async function build(options: BuildPackageOptions & { sourceDir: string }, ctx: StageContext): Promise<StageResult> {
  const notes: string[] = [];
  let epoch = options.sourceDateEpoch;
  let epochSource = 'input source-date-epoch';
  if (epoch === undefined) {
    const fromEnv = ctx.env['SOURCE_DATE_EPOCH'];
    if (fromEnv !== undefined && fromEnv !== '') {
      epoch = sourceDateEpoch(ctx.env);
      if (epoch === undefined) {
        throw new FactoryError('INPUT_INVALID', `SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 UTC, got '${fromEnv}'`, {
          subject: 'SOURCE_DATE_EPOCH',
        });
      }
      epochSource = 'SOURCE_DATE_EPOCH';
    }
  }
  if (epoch === undefined) {
    // The reproducible-builds convention: the time of the last commit, the same in every clone
    // (mtimes are not: a checkout stamps files with the clock of the moment).
    const commitTime = await lastCommitTime(options.sourceDir, ctx);
    if (commitTime !== undefined) {
      epoch = commitTime;
      epochSource = 'last git commit';
      notes.push(
        `no source-date-epoch input and no SOURCE_DATE_EPOCH: used the last commit's time (${epoch}, ${new Date(epoch * 1000).toISOString()})`,
      );
    }
  }
  if (epoch === undefined) {
    epoch = await newestMtime(options.sourceDir).catch(() => 0);
    epochSource = 'newest mtime in source-dir';
    notes.push(
      `no source-date-epoch input and no SOURCE_DATE_EPOCH: used the newest mtime in source-dir (${epoch}, ${new Date(epoch * 1000).toISOString()}); set one to make the build reproducible from a fresh checkout`,
    );
  }
  const metadata = options.metadata as DebBuildMetadata;
  const result = await buildDeb({
    sourceDir: options.sourceDir,
    metadata,
    outputDir: options.outputDir,
    sourceDateEpoch: epoch,
    tempDir: ctx.tempDir,
    exec: ctx.exec,
    env: ctx.env,
  });
  if (result.reused) notes.push(`${result.fileName} already existed with identical content (sha256 ${result.sha256}); kept it`);
  if (result.absoluteLinks.length > 0) {
    notes.push(`absolute symlinks resolve on the installed system, not in the tree: ${result.absoluteLinks.join(', ')}`);
  }
  // Read the result back through the same reader every later stage uses: it proves the package parses.
  const control = await readDebControl(result.file, ctx.exec);
  const record = await describeFile(result.file, 'artifact', ctx.workDir);
  const outputs: FileRecord[] = [record];
  ctx.logger.info(`build-package: built ${record.name} (${record.size} bytes, sha256 ${record.sha256})`);
  const summary = [
    '### build-package',
    '',
    summaryTable([
      ['Package', control.package],
      ['Version', control.version],
      ['Architecture', control.architecture],
      ['Depends', control.fields['Depends'] ?? '(none)'],
      ['Installed-Size', `${control.installedSize ?? result.installedSize} KiB`],
      ['File', record.name],
      ['SHA-256', `\`${record.sha256}\``],
      ['Size', `${record.size} bytes`],
      ['SOURCE_DATE_EPOCH', `${epoch} (${epochSource})`],
    ]),
    '',
  ].join('\n');
  return {
    status: 'passed',
    decision: { result: 'pass', reason: result.reused ? `reused identical ${record.name}` : `built ${record.name}` },
    inputs: [],
    outputs,
    outputValues: {
      package: result.file,
      sha256: record.sha256,
      'file-name': record.name,
      'package-name': control.package,
      'package-version': control.version,
    },
    summary,
    details: {
      mode: 'build',
      format: options.format,
      package: control.package,
      version: control.version,
      architecture: control.architecture,
      installedSizeKiB: result.installedSize,
      sourceDateEpoch: epoch,
      sourceDateEpochFrom: epochSource,
      sourceTreeSha256: result.treeSha256,
      entryCount: result.entryCount,
      reused: result.reused,
      control: result.control,
    },
    notes,
  };
}

/** The build-package stage: builds a .deb from a staged tree, or passes a built package through. */
export const buildPackageStage: StageDefinition<BuildPackageOptions> = {
  name: 'build-package',
  title: 'Build package',
  description:
    'Builds a reproducible Debian package from a staged install tree (or passes a built package through) and records its digest.',
  inputs: INPUTS,
  outputs: {
    package: { description: 'Path of the package file.' },
    sha256: { description: 'SHA-256 of the package file.' },
    'file-name': { description: 'File name of the package (<name>_<version>_<arch>.deb).' },
    'package-name': { description: 'Package name from its control data.' },
    'package-version': { description: 'Package version from its control data.' },
  },
  parse,
  async run(options, ctx) {
    if (options.package !== undefined) return passThrough({ ...options, package: options.package }, ctx);
    if (options.sourceDir !== undefined) return build({ ...options, sourceDir: options.sourceDir }, ctx);
    throw new FactoryError('INPUT_MISSING', "one of the inputs 'source-dir' or 'package' is required", { subject: 'source-dir' });
  },
};
