import path from 'node:path';
import { FactoryError, isFactoryError, type ExecRunner } from '@packaging-factory/core';
import type { DebIdentity } from './deb-identity.ts';
import type { InstallSandbox, SandboxRunResult } from './sandbox.ts';
import { lastLines, type StepLog } from './step-log.ts';
import { DPKG_BOOKKEEPING_PATHS } from './upper-layer-changes.ts';

/** The detection rules, each named in INSTALL_DETECTION_FAILED errors and in the result details. */
export type DetectionRule = 'name' | 'installed' | 'version' | 'files' | 'command' | 'output';

export interface RuleOutcome {
  rule: DetectionRule;
  passed: boolean;
  detail: string;
}

/** Something the purge left behind. */
export interface ResidueItem {
  /** A path inside the sandbox, or the package name for `dpkg-status`. */
  path: string;
  /** new/modified/removed: seen in the writable layer; remaining: a package file still there; dpkg-status: dpkg still knows the package. */
  kind: 'new' | 'modified' | 'removed' | 'remaining' | 'dpkg-status';
  type: string;
}

export interface DebInstallPlan {
  /** The .deb on the host. */
  deb: string;
  identity: DebIdentity;
  expectName: string;
  expectVersion: string;
  /** Absolute paths inside the sandbox; empty: every regular file the package installs. */
  expectFiles: readonly string[];
  command?: readonly string[];
  expectOutput?: RegExp;
  /** Budget for all steps together. */
  timeoutMs: number;
}

export interface DebInstallReport {
  /** `dpkg -i` succeeded. */
  installed: boolean;
  /** `dpkg --purge` succeeded. */
  purged: boolean;
  /** `${Status} ${Version}` of the package on the host before the test, when the host has it. */
  preinstalled?: string;
  rules: RuleOutcome[];
  /** The non-directory paths dpkg lists for the installed package. */
  packageFiles: string[];
  /** The files the `files` rule checked. */
  checkedFiles: string[];
  residue: ResidueItem[];
  errors: FactoryError[];
}

/**
 * Where the .deb is copied inside the sandbox: a persistent place (the scratch directories such as
 * /tmp are empty tmpfs in every run), ignored by the residue check (DPKG_BOOKKEEPING_PATHS).
 */
export const SANDBOX_DEB_DIR = '/var/cache/factory-install';

/** Output lines of a failed install or purge quoted in its error (masked, like the step's tail). */
const TAIL_LINES = 10;
const LISTED_IN_MESSAGE = 10;

/**
 * The install test proper: copy the .deb in, install it with dpkg, check the detection rules,
 * purge it and look for anything left behind. Never throws for what the package does (that is
 * the report); throws only when the sandbox itself fails.
 */
export async function runDebInstallCheck(
  sandbox: InstallSandbox,
  exec: ExecRunner,
  plan: DebInstallPlan,
  log: StepLog,
): Promise<DebInstallReport> {
  const deadline = Date.now() + plan.timeoutMs;
  const name = plan.identity.name;
  const report: DebInstallReport = {
    installed: false,
    purged: false,
    rules: [],
    packageFiles: [],
    checkedFiles: [],
    residue: [],
    errors: [],
  };
  /** Runs one step; `okExitCodes` are the exits the check expects (others count as a failed step in the record). */
  const step: StepFn = async (label, argv, input, okExitCodes = [0]) => {
    const options = { timeoutMs: Math.max(1, deadline - Date.now()), ...(input === undefined ? {} : { input }) };
    const result = await sandbox.run(argv, options);
    log.record(label, argv, result, okExitCodes.includes(result.exitCode));
    return result;
  };
  const tail = (result: SandboxRunResult): string => log.tail(result, TAIL_LINES).join('\n');
  const rule = (outcome: RuleOutcome, subject: string): void => {
    report.rules.push(outcome);
    log.note(`rule ${outcome.rule}: ${outcome.passed ? 'passed' : 'FAILED'}: ${outcome.detail}`);
    if (!outcome.passed) {
      report.errors.push(
        new FactoryError('INSTALL_DETECTION_FAILED', `detection rule '${outcome.rule}' failed: ${outcome.detail}`, {
          subject,
          hint: ruleHint(outcome.rule),
        }),
      );
    }
  };

  if (plan.expectName !== name) {
    rule({ rule: 'name', passed: false, detail: `the package is named '${name}', expected '${plan.expectName}'` }, 'expect-name');
  } else {
    rule({ rule: 'name', passed: true, detail: `package name is '${name}'` }, 'expect-name');
  }

  // dpkg-query exits 1 for a package it does not know: the usual answer here.
  const before = await step('query-before', ['dpkg-query', '-W', '-f=${Status} ${Version}', name], undefined, [0, 1]);
  if (before.exitCode === 0 && before.stdout.trim() !== '') report.preinstalled = before.stdout.trim();

  const debInSandbox = await sandbox.copyIn(plan.deb, path.posix.join(SANDBOX_DEB_DIR, safeFileName(plan.deb)));
  const install = await step('install', ['dpkg', '-i', debInSandbox]);
  if (install.exitCode !== 0) {
    report.errors.push(
      new FactoryError('INSTALL_FAILED', `dpkg -i ${name} ${describeExit(install)}:\n${tail(install)}`, {
        subject: 'package',
        hint: 'read the dpkg output: unmet Depends, a failing maintainer script or a file conflict (full log in the install log)',
      }),
    );
    return report;
  }
  report.installed = true;

  const query = await step('query', ['dpkg-query', '-W', '-f=${Status} ${Version}', name]);
  const [status, version] = parseStatusLine(query.stdout);
  const installedOk = query.exitCode === 0 && status === 'install ok installed';
  rule(
    {
      rule: 'installed',
      passed: installedOk,
      detail: installedOk
        ? `dpkg reports '${status}'`
        : `dpkg reports '${status || log.tail({ stdout: '', stderr: query.stderr }, 1)[0] || 'nothing'}'`,
    },
    'package',
  );
  const versionOk = installedOk && (await sameDebianVersion(exec, version, plan.expectVersion));
  rule(
    {
      rule: 'version',
      passed: versionOk,
      detail: versionOk ? `installed version ${version}` : `installed version '${version || 'none'}', expected '${plan.expectVersion}'`,
    },
    'expect-version',
  );

  const list = await step('list-files', ['dpkg-query', '-L', name]);
  // dpkg-query -L prints '/.' for the root and 'diverted by ...' notes: keep real paths only.
  const listed = list.stdout.split('\n').filter((l) => l.startsWith('/') && l !== '/.');
  const types = await statPaths(step, 'stat-files', [...new Set([...listed, ...plan.expectFiles])].sort());
  report.packageFiles = listed.filter((p) => types.get(p) !== 'directory').sort();
  const expected = plan.expectFiles.length > 0 ? [...plan.expectFiles] : listed.filter((p) => types.get(p) !== 'directory');
  report.checkedFiles = [...expected].sort();
  const missing = report.checkedFiles.filter((p) => {
    const type = types.get(p);
    // A package ships regular files and symlinks (node_modules/.bin links, alternatives): both count as present.
    return type === undefined || (plan.expectFiles.length === 0 && !type.startsWith('regular') && type !== 'symbolic link');
  });
  rule(
    {
      rule: 'files',
      passed: missing.length === 0,
      detail:
        missing.length === 0
          ? `${report.checkedFiles.length} expected file(s) present`
          : `${missing.length} of ${report.checkedFiles.length} expected file(s) missing: ${listSome(missing)}`,
    },
    plan.expectFiles.length > 0 ? 'expect-files' : 'package',
  );

  if (plan.command !== undefined) {
    const run = await step('command', [...plan.command]);
    const ok = run.exitCode === 0;
    rule(
      {
        rule: 'command',
        passed: ok,
        detail: ok
          ? `${plan.command.join(' ')} exited 0`
          : `${plan.command.join(' ')} ${describeExit(run)}${run.exitCode === 127 ? ' (command not found in the sandbox)' : ''}`,
      },
      'command',
    );
    if (plan.expectOutput !== undefined) {
      const matched = ok && plan.expectOutput.test(run.stdout);
      rule(
        {
          rule: 'output',
          passed: matched,
          detail: matched
            ? `stdout matches /${plan.expectOutput.source}/`
            : `stdout ${JSON.stringify(log.tail({ stdout: run.stdout, stderr: '' }, 3).join('\n'))} does not match /${plan.expectOutput.source}/`,
        },
        'expect-output',
      );
    }
  }

  const purge = await step('purge', ['dpkg', '--purge', name]);
  if (purge.exitCode !== 0) {
    report.errors.push(
      new FactoryError('INSTALL_FAILED', `dpkg --purge ${name} ${describeExit(purge)}:\n${tail(purge)}`, {
        subject: 'package',
        hint: 'the package cannot be removed cleanly: look at its prerm/postrm scripts (full log in the install log)',
      }),
    );
    return report;
  }
  report.purged = true;

  const residue = new Map<string, ResidueItem>();
  const after = await step('query-after-purge', ['dpkg-query', '-W', '-f=${Status} ${Version}', name], undefined, [0, 1]);
  const [afterStatus] = parseStatusLine(after.stdout);
  // After a purge dpkg forgets the package (exit 1, "no packages found") or calls it not-installed.
  if (after.exitCode === 0 && afterStatus !== '' && !afterStatus.endsWith(' not-installed')) {
    residue.set(name, { path: name, kind: 'dpkg-status', type: afterStatus });
  }
  const nonDirectories = report.packageFiles;
  const remaining = await statPaths(step, 'stat-after-purge', nonDirectories);
  for (const [p, type] of remaining) residue.set(p, { path: p, kind: 'remaining', type });
  const listedSet = new Set(listed);
  for (const change of await sandbox.changes(DPKG_BOOKKEEPING_PATHS)) {
    // The host may have had this package installed: purging it deletes its files from the copy.
    if (change.kind === 'removed' && listedSet.has(change.path)) continue;
    if (!residue.has(change.path)) residue.set(change.path, { ...change });
  }
  report.residue = [...residue.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  log.note(report.residue.length === 0 ? 'residue: none' : `residue: ${report.residue.map(describeResidue).join(', ')}`);
  if (report.residue.length > 0) {
    report.errors.push(
      new FactoryError(
        'INSTALL_RESIDUE',
        `${report.residue.length} leftover(s) after dpkg --purge ${name}: ${listSome(report.residue.map(describeResidue))}`,
        {
          subject: 'package',
          hint: 'remove what the maintainer scripts create in postrm (purge), or ship the files so dpkg tracks them',
        },
      ),
    );
  }
  return report;
}

/** `${Status} ${Version}`: the status is always three words (want, error flag, state). */
function parseStatusLine(stdout: string): [string, string] {
  const words = stdout.trim().split(/\s+/);
  if (words.length < 3) return [stdout.trim(), ''];
  return [words.slice(0, 3).join(' '), words.slice(3).join(' ')];
}

/** Debian version equality per deb-version(7) (1.0 equals 0:1.0), decided by dpkg itself. */
async function sameDebianVersion(exec: ExecRunner, actual: string, expected: string): Promise<boolean> {
  if (actual === expected) return true;
  if (actual === '' || actual.startsWith('-') || expected.startsWith('-')) return false;
  try {
    const result = await exec.run('dpkg', ['--compare-versions', actual, 'eq', expected], { okExitCodes: [0, 1], timeoutMs: 30_000 });
    return result.exitCode === 0;
  } catch (error) {
    // dpkg refuses malformed versions: then they are not equal.
    if (isFactoryError(error) && error.code === 'TOOL_FAILED') return false;
    throw error;
  }
}

type StepFn = (label: string, argv: string[], input?: string, okExitCodes?: readonly number[]) => Promise<SandboxRunResult>;

/**
 * The type (stat's %F) of each path that exists inside the sandbox. Paths go in on stdin,
 * NUL-separated, to xargs: no argument-length limit, no quoting, any byte but NUL allowed.
 * Missing paths are simply absent from the map (stat exits 1, xargs 123).
 */
async function statPaths(step: StepFn, label: string, paths: readonly string[]): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  if (paths.length === 0) return types;
  const result = await step(
    label,
    ['xargs', '-0', '-r', 'stat', '--printf=%F\\t%n\\0', '--'],
    paths.map((p) => `${p}\0`).join(''),
    [0, 123],
  );
  if (result.exitCode !== 0 && result.exitCode !== 123) {
    throw new FactoryError('INSTALL_SANDBOX_UNAVAILABLE', `cannot inspect files in the sandbox: xargs/stat ${describeExit(result)}`, {
      subject: 'sandbox',
      hint: lastLines(result.stderr, 1)[0] ?? 'see the install log',
    });
  }
  for (const record of result.stdout.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab > 0) types.set(record.slice(tab + 1), record.slice(0, tab));
  }
  return types;
}

function describeExit(result: SandboxRunResult): string {
  return result.timedOut ? 'ran out of time (timeout-seconds) and was killed' : `exited with ${result.exitCode}`;
}

function listSome(items: readonly string[]): string {
  const shown = items.slice(0, LISTED_IN_MESSAGE).join(', ');
  return items.length > LISTED_IN_MESSAGE ? `${shown}, … (${items.length - LISTED_IN_MESSAGE} more)` : shown;
}

/** e.g. "/var/lib/x/state (new file)". */
export function describeResidue(item: ResidueItem): string {
  if (item.kind === 'dpkg-status') return `${item.path} (still known to dpkg: ${item.type})`;
  if (item.kind === 'remaining') return `${item.path} (package file still present: ${item.type})`;
  return `${item.path} (${item.kind} ${item.type})`;
}

/** The copied .deb's name: the input's base name, kept to characters that need no care anywhere. */
function safeFileName(file: string): string {
  const base = path.basename(file).replace(/[^A-Za-z0-9._+~-]/g, '_');
  return base.endsWith('.deb') ? base : `${base}.deb`;
}

function ruleHint(rule: DetectionRule): string {
  switch (rule) {
    case 'name':
      return "set 'expect-name' to the package's Package field, or leave it empty";
    case 'installed':
      return 'dpkg did not leave the package installed: see the install log';
    case 'version':
      return "set 'expect-version' to the version you meant to build, or fix the package's Version field";
    case 'files':
      return "ship the expected files in the package, or correct 'expect-files'";
    case 'command':
      return "make sure the package installs the command and that it exits 0 without network; or correct 'command'";
    case 'output':
      return "compare the command's output in the install log with 'expect-output'";
  }
}
