import path from 'node:path';
import {
  describeFile,
  FactoryError,
  InputReader,
  writeFileAtomic,
  type InputSpec,
  type OutputSpec,
  type StageContext,
  type StageDefinition,
  type StageResult,
} from '@packaging-factory/core';
import { readDebIdentity } from './deb-identity.ts';
import { describeResidue, runDebInstallCheck, type DebInstallReport } from './deb-install-check.ts';
import { parseDetectionCommand } from './detection-command.ts';
import { jobDirectories } from './hidden-host-paths.ts';
import { OutputMasker } from './output-masking.ts';
import { OverlaySandbox } from './overlay-sandbox.ts';
import { SANDBOX_KINDS, type SandboxKind } from './sandbox.ts';
import { StepLog } from './step-log.ts';

/** Typed options of the test-install stage. */
export interface TestInstallOptions {
  /** The .deb to test (absolute). */
  packagePath: string;
  expectName?: string;
  expectVersion?: string;
  /** Absolute paths inside the sandbox; empty: every regular file the package installs. */
  expectFiles: string[];
  command?: string[];
  expectOutput?: RegExp;
  timeoutSeconds: number;
  /** Where the install log goes (absolute). */
  outputDir: string;
  sandbox: SandboxKind;
}

const INPUTS = {
  package: { description: 'The .deb package to install in the sandbox', kind: 'path', required: true },
  'expect-name': { description: "The package name that must be installed (default: the .deb's Package field)", kind: 'string' },
  'expect-version': { description: "The version that must be installed (default: the .deb's Version field)", kind: 'string' },
  'expect-files': {
    description:
      'Absolute paths inside the sandbox that must exist after install, one per line (default: every regular file the package installs)',
    kind: 'paths',
  },
  command: {
    description:
      'A command that must exit 0 after install: a JSON array (["hello","--version"]) or a simple whitespace-separated command, run without a shell and without network',
    kind: 'string',
  },
  'expect-output': {
    description: "A regular expression (JavaScript syntax, multiline: ^ and $ match at line breaks) the command's stdout must match",
    kind: 'string',
  },
  'timeout-seconds': { description: 'Time limit for the whole install test, all steps together', kind: 'number', default: '300' },
  'output-dir': { description: 'Directory for the install log', kind: 'path', default: 'factory-out/install-test' },
  sandbox: {
    description: 'Where to install: overlay (overlayfs copy of the Linux host, needs root)',
    kind: 'choice',
    default: 'overlay',
    choices: SANDBOX_KINDS,
  },
} as const satisfies Record<string, InputSpec>;

const OUTPUTS = {
  result: { description: 'passed or failed' },
  log: { description: 'Path of the install log (every step with its output)' },
} as const satisfies Record<string, OutputSpec>;

/** Debian policy §5.6.1: package names are lower case alphanumerics and + - . , at least two long, starting alphanumeric. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** deb-version(7) characters; a version never starts with '-', so it cannot pass for an option. */
const DEBIAN_VERSION = /^[A-Za-z0-9.+~:-]+$/;

/** The test-install stage: installs a .deb in a throwaway sandbox, checks it, purges it, checks nothing is left. */
export const testInstallStage: StageDefinition<TestInstallOptions> = {
  name: 'test-install',
  title: 'Test install',
  requiresRoot: true,
  description:
    'Installs a .deb in a sandbox that leaves the host untouched (overlayfs copy of the host, no network), checks that it is ' +
    'installed at the expected version with its files and a working command, purges it and checks that nothing is left behind.',
  inputs: INPUTS,
  outputs: OUTPUTS,
  positional: 'package',
  parse(raw, { workDir }) {
    const reader = new InputReader(raw, INPUTS, workDir);
    const packageValue = reader.string('package');
    if (/[\r\n]/.test(packageValue)) {
      throw new FactoryError('INPUT_INVALID', "input 'package' names more than one file; test-install takes one .deb", {
        subject: 'package',
        hint: 'run the stage once per package',
      });
    }
    const options: TestInstallOptions = {
      packagePath: reader.path('package'),
      expectFiles: [],
      timeoutSeconds: 300,
      outputDir: reader.path('output-dir'),
      sandbox: reader.choice<SandboxKind>('sandbox'),
    };
    const expectName = reader.optional('expect-name');
    if (expectName !== undefined) {
      if (!PACKAGE_NAME.test(expectName)) {
        throw new FactoryError('INPUT_INVALID', `input 'expect-name' is not a Debian package name: '${expectName}'`, {
          subject: 'expect-name',
          hint: 'lower case letters, digits and + - . (Debian policy 5.6.1)',
        });
      }
      options.expectName = expectName;
    }
    const expectVersion = reader.optional('expect-version');
    if (expectVersion !== undefined) {
      if (!DEBIAN_VERSION.test(expectVersion) || !/^[0-9]/.test(expectVersion)) {
        throw new FactoryError('INPUT_INVALID', `input 'expect-version' is not a Debian version: '${expectVersion}'`, {
          subject: 'expect-version',
          hint: 'e.g. 1.2.3-1 or 1:2.0~rc1-2 (deb-version(7))',
        });
      }
      options.expectVersion = expectVersion;
    }
    for (const file of reader.list('expect-files')) {
      if (!file.startsWith('/') || file.includes('\0')) {
        throw new FactoryError('INPUT_INVALID', `input 'expect-files' must list absolute paths inside the sandbox; got '${file}'`, {
          subject: 'expect-files',
          hint: 'e.g. /usr/bin/hello',
        });
      }
      options.expectFiles.push(path.posix.normalize(file));
    }
    options.expectFiles = [...new Set(options.expectFiles)].sort();
    const command = reader.optional('command');
    if (command !== undefined) options.command = parseDetectionCommand(command, 'command');
    const expectOutput = reader.optional('expect-output');
    if (expectOutput !== undefined) {
      if (options.command === undefined) {
        throw new FactoryError('INPUT_INVALID', "input 'expect-output' needs 'command': whose output should match?", {
          subject: 'expect-output',
          hint: "set 'command' too, or drop 'expect-output'",
        });
      }
      try {
        options.expectOutput = new RegExp(expectOutput, 'm');
      } catch (error) {
        throw new FactoryError('INPUT_INVALID', `input 'expect-output' is not a valid regular expression: ${(error as Error).message}`, {
          cause: error,
          subject: 'expect-output',
        });
      }
    }
    const timeout = reader.number('timeout-seconds') ?? 300;
    if (timeout <= 0 || timeout > 24 * 3600) {
      throw new FactoryError('INPUT_INVALID', `input 'timeout-seconds' must be between 1 and 86400, got ${timeout}`, {
        subject: 'timeout-seconds',
      });
    }
    options.timeoutSeconds = timeout;
    return options;
  },
  run: testInstall,
};

/** Runs the install test; the stage's `run`. */
export async function testInstall(options: TestInstallOptions, ctx: StageContext): Promise<StageResult> {
  const input = await describeFile(options.packagePath, 'artifact', ctx.workDir);
  const identity = await readDebIdentity(ctx.exec, options.packagePath, 'package');
  if (!PACKAGE_NAME.test(identity.name)) {
    throw new FactoryError('INPUT_INVALID', `${input.name} has an invalid Package field '${identity.name}'`, {
      subject: 'package',
      hint: 'Debian policy 5.6.1: lower case letters, digits and + - .',
    });
  }
  const expectName = options.expectName ?? identity.name;
  const expectVersion = options.expectVersion ?? identity.version;
  ctx.logger.info(`test-install: ${identity.name} ${identity.version} in an ${options.sandbox} sandbox`);

  // The job's directories are hidden like the host's scratch and home directories: the workspace
  // and RUNNER_TEMP hold sources, keys and other stages' outputs the package has no business reading.
  const sandbox = await OverlaySandbox.create({
    exec: ctx.exec,
    logger: ctx.logger,
    baseDir: ctx.tempDir,
    hide: [...jobDirectories(ctx.env), ctx.workDir],
  });
  const log = new StepLog(new OutputMasker(ctx.env));
  let report: DebInstallReport;
  try {
    const plan: Parameters<typeof runDebInstallCheck>[2] = {
      deb: options.packagePath,
      identity,
      expectName,
      expectVersion,
      expectFiles: options.expectFiles,
      timeoutMs: options.timeoutSeconds * 1000,
    };
    if (options.command !== undefined) plan.command = options.command;
    if (options.expectOutput !== undefined) plan.expectOutput = options.expectOutput;
    report = await runDebInstallCheck(sandbox, ctx.exec, plan, log);
  } finally {
    await sandbox.dispose();
  }

  const passed = report.errors.length === 0;
  const logFile = path.join(options.outputDir, `${identity.name}.install-log.txt`);
  const header = [
    `package: ${input.name} (sha256 ${input.sha256})`,
    `control: ${identity.name} ${identity.version}${identity.architecture ? ` ${identity.architecture}` : ''}`,
    `expected: ${expectName} ${expectVersion}`,
    `sandbox: ${sandbox.kind} (overlayfs over /, unshare --mount --pid --net, chroot, reduced capabilities)`,
    `hidden host directories (empty tmpfs in every step): ${sandbox.hiddenDirs.map((h) => h.path).join(' ')}`,
    `host secret files sanitized or removed: ${sandbox.secretFiles.map((f) => `${f.path} (${f.action})`).join(' ') || 'none found'}`,
    "note: below is the package's own output (maintainer scripts, the command), with known secret shapes masked",
    `result: ${passed ? 'passed' : 'failed'}`,
    ...report.errors.map((e) => `error: ${e.code}: ${e.message.split('\n')[0] ?? ''}`),
  ];
  await writeFileAtomic(logFile, log.text(header));
  const logRecord = await describeFile(logFile, 'log', ctx.workDir);
  for (const error of report.errors) ctx.logger.error(`${error.code}: ${error.message}`, error.subject);

  const details: Record<string, unknown> = {
    sandbox: sandbox.kind,
    package: { ...identity },
    expected: { name: expectName, version: expectVersion, files: options.expectFiles, command: options.command ?? null },
    installed: report.installed,
    purged: report.purged,
    rules: report.rules,
    packageFileCount: report.packageFiles.length,
    checkedFileCount: report.checkedFiles.length,
    residue: report.residue,
    isolation: {
      hiddenDirs: sandbox.hiddenDirs.map((h) => h.path),
      secretFiles: sandbox.secretFiles,
    },
    steps: log.steps,
  };
  if (report.preinstalled !== undefined) details['preinstalledOnHost'] = report.preinstalled;
  const notes: string[] = [];
  if (report.preinstalled !== undefined) {
    notes.push(`the host already had ${identity.name} (${report.preinstalled}); the sandbox started from that state`);
  }
  const first = report.errors[0];
  const result: StageResult = {
    status: passed ? 'passed' : 'failed',
    decision: passed
      ? { result: 'pass', reason: `${identity.name} ${identity.version} installed, detected and purged without residue` }
      : { result: 'fail', reason: first?.message.split('\n')[0] ?? 'install test failed' },
    inputs: [input],
    outputs: [logRecord],
    outputValues: { result: passed ? 'passed' : 'failed', log: logFile },
    summary: summaryMarkdown(identity.name, identity.version, passed, report, log),
    details,
    notes,
  };
  if (!passed) result.errors = report.errors;
  return result;
}

function summaryMarkdown(name: string, version: string, passed: boolean, report: DebInstallReport, log: StepLog): string {
  const lines = [
    `### Install test: ${name} ${version} — ${passed ? 'passed' : 'failed'}`,
    '',
    '| Check | Result | Detail |',
    '| --- | --- | --- |',
    `| install (dpkg -i) | ${report.installed ? 'ok' : 'failed'} | |`,
    ...report.rules.map((r) => `| rule \`${r.rule}\` | ${r.passed ? 'ok' : 'failed'} | ${cell(r.detail)} |`),
  ];
  if (report.installed) lines.push(`| purge (dpkg --purge) | ${report.purged ? 'ok' : 'failed'} | |`);
  if (report.purged) {
    lines.push(
      `| residue | ${report.residue.length === 0 ? 'none' : `${report.residue.length} left`} | ${cell(report.residue.slice(0, 10).map(describeResidue).join(', '))} |`,
    );
  }
  lines.push('', '| Step | Exit | Time |', '| --- | --- | --- |');
  for (const step of log.steps)
    lines.push(`| ${step.step} | ${step.exitCode}${step.timedOut ? ' (timeout)' : ''} | ${step.durationMs} ms |`);
  for (const error of report.errors) lines.push('', `> **${error.code}**: ${cell(error.message.split('\n')[0] ?? '')}`);
  lines.push(
    '',
    "The install log holds the package's own output (maintainer scripts, the command; known secret shapes masked). " +
      'The evidence pack keeps only digests of it, plus a short tail for failed steps; the log itself is not attested ' +
      'unless you publish it: review it before you do.',
    '',
    'In the sandbox the host scratch, home and job directories (/tmp, /var/tmp, /run, /root, /home, the workspace, ...) ' +
      'are empty tmpfs, fresh in every step: the residue check covers the persistent rest (/etc, /usr, /var, /opt).',
  );
  return `${lines.join('\n')}\n`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
