/**
 * Static validation of workflows and action metadata with GitHub's own language service
 * (@actions/languageservice, the engine behind the VS Code extension): schema, expressions and
 * contexts, `uses:` formats, and the `with:` inputs of every action a workflow calls.
 *
 * Loading: the package's ESM imports JSON schemas without an import attribute. Jest's module
 * loader accepts that (with a deprecation notice), so under jest nothing else is needed; plain Node
 * would need a module hook that adds `type: 'json'`.
 *
 * What the service leaves out, and this module adds:
 * - `uses: ./path` steps: the service skips them; here they are checked against the local action.yml.
 * - Internal failures: the service logs them and returns no diagnostics; here they become errors.
 * - Third-party actions cannot be resolved offline: their references are listed in `unchecked`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerLogger, validate, type ActionsMetadataProvider } from '@actions/languageservice';
import type { ActionMetadata, ActionReference } from '@actions/languageservice/action';
import { clearCacheEntry } from '@actions/languageservice/utils/workflow-cache';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { isMap, isScalar, isSeq, parse as parseYaml, parseDocument, type Node as YamlNode } from 'yaml';

type ValidationConfig = NonNullable<Parameters<typeof validate>[1]>;
type FileProvider = NonNullable<ValidationConfig['fileProvider']>;
type FileReference = Parameters<FileProvider['getFileContent']>[0];
/** An LSP diagnostic as the service returns it. */
export type Diagnostic = Awaited<ReturnType<typeof validate>>[number];

/** LSP DiagnosticSeverity values (vscode-languageserver-types). */
const DiagnosticSeverity = { Error: 1, Warning: 2 } as const;

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** Used when package.json names no repository. */
export const DEFAULT_FACTORY_REPOSITORY = 'packaging-factory/packaging-factory';

export interface ValidationOptions {
  /** Repository whose files `./`, `$/` and our `<owner>/<repo>/actions/<name>@ref` resolve to. */
  root?: string;
  /** `owner/repo` names under which our actions are published; default from package.json. */
  repositories?: string[];
}

export interface YamlValidation {
  uri: string;
  /** Everything the service and the local checks reported. */
  diagnostics: Diagnostic[];
  /** Diagnostics at error severity (the service leaves parser errors without a severity: errors too). */
  errors: Diagnostic[];
  /** Third-party action references whose inputs could not be checked offline. */
  unchecked: string[];
}

const internalErrors: string[] = [];
registerLogger({
  log: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => internalErrors.push(message),
});

/** Validates a workflow (under .github/workflows), an action.yml, or any other YAML as a workflow. */
export async function validateYamlFile(file: string, options: ValidationOptions = {}): Promise<YamlValidation> {
  return validateYamlText(await readFile(file, 'utf8'), file, options);
}

/**
 * Validates YAML text; `file` decides how: `.github/workflows/*.yml` is a workflow, `action.yml`
 * is action metadata, anything else (a README example) is validated as a workflow.
 */
export async function validateYamlText(text: string, file: string, options: ValidationOptions = {}): Promise<YamlValidation> {
  const root = options.root ?? repoRoot;
  const repositories = (options.repositories ?? [await factoryRepository(root)]).map((r) => r.toLowerCase());
  const uri = pathToFileURL(path.resolve(file)).href;
  const document = TextDocument.create(uri, 'yaml', 1, text);
  const unchecked: string[] = [];
  const before = internalErrors.length;
  // The service caches parses by URI (an editor clears the entry on every change): never reuse one.
  clearCacheEntry(uri);
  const diagnostics = await validate(document, {
    actionsMetadataProvider: localActionsMetadataProvider(root, repositories, unchecked),
    fileProvider: repositoryFileProvider(root, repositories),
  });
  for (const message of internalErrors.splice(before)) {
    diagnostics.push({
      message: `language service failed: ${message}`,
      severity: DiagnosticSeverity.Error,
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    });
  }
  diagnostics.push(...(await checkLocalActionSteps(document, root)));
  return { uri, diagnostics, errors: diagnostics.filter(isError), unchecked: [...new Set(unchecked)].sort() };
}

/** Severity 1, or none: the service reports schema errors without one. */
export function isError(diagnostic: Diagnostic): boolean {
  return diagnostic.severity === undefined || diagnostic.severity === DiagnosticSeverity.Error;
}

/** A diagnostic's message as text (LSP allows markup content too). */
export function messageOf(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}

/** One line per diagnostic, `file:line:col severity message`, for assertion messages. */
export function formatDiagnostics(result: YamlValidation, diagnostics: Diagnostic[] = result.diagnostics): string {
  const names = ['error', 'error', 'warning', 'info', 'hint'];
  return diagnostics
    .map(
      (d) => `${result.uri}:${d.range.start.line + 1}:${d.range.start.character + 1} ${names[d.severity ?? 1] ?? 'error'} ${messageOf(d)}`,
    )
    .join('\n');
}

/** `owner/repo` from package.json's `repository` (string or `{ url }`), else the default. */
export async function factoryRepository(root: string = repoRoot): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { repository?: string | { url?: string } };
  const value = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  const match = value?.match(/(?:github(?:\.com)?[:/])?([\w.-]+)\/([\w.-]+?)(?:\.git)?$/);
  return match?.[1] !== undefined && match[2] !== undefined ? `${match[1]}/${match[2]}` : DEFAULT_FACTORY_REPOSITORY;
}

/**
 * Resolves `<owner>/<repo>/actions/<name>@<ref>` (and the flattened `<owner>/<repo>/<name>@<ref>` of
 * release tags) of our repositories to the local actions/<name>/action.yml. Other actions cannot be
 * fetched offline: they are recorded in `unchecked` and returned without inputs, which the service
 * reads as "no inputs to check".
 */
export function localActionsMetadataProvider(root: string, repositories: string[], unchecked: string[]): ActionsMetadataProvider {
  return {
    async fetchActionMetadata(action: ActionReference): Promise<ActionMetadata | undefined> {
      const repository = `${action.owner}/${action.name}`;
      if (!repositories.includes(repository.toLowerCase())) {
        unchecked.push(`${repository}${action.path !== undefined ? `/${action.path}` : ''}@${action.ref}`);
        return { name: repository, description: 'third-party action: inputs not checked offline' };
      }
      const name = action.path?.replace(/^actions\//, '');
      if (name === undefined || name.includes('/')) return undefined;
      return readActionMetadataFile(path.join(root, 'actions', name));
    },
  };
}

/** Files of this repository for `$/` action references and reusable workflows (`./` or ours by name). */
export function repositoryFileProvider(root: string, repositories: string[]): FileProvider {
  return {
    async getFileContent(ref: FileReference) {
      if ('repository' in ref && !repositories.includes(`${ref.owner}/${ref.repository}`.toLowerCase())) {
        throw new Error(`${ref.owner}/${ref.repository} is not available offline`);
      }
      const file = path.join(root, ref.path);
      return { name: ref.path, content: await readFile(file, 'utf8') };
    },
  };
}

async function readActionMetadataFile(actionDir: string): Promise<ActionMetadata | undefined> {
  const file = ['action.yml', 'action.yaml'].map((n) => path.join(actionDir, n)).find((f) => existsSync(f));
  if (file === undefined) return undefined;
  return parseYaml(await readFile(file, 'utf8')) as ActionMetadata;
}

/**
 * `uses: ./dir` steps (which the service skips): the directory must hold an action.yml, every
 * `with:` key must be one of its inputs, and required inputs without a default must be given —
 * the same rules the service applies to remote actions.
 */
async function checkLocalActionSteps(document: TextDocument, root: string): Promise<Diagnostic[]> {
  const yaml = parseDocument(document.getText());
  if (yaml.errors.length > 0) return [];
  const diagnostics: Diagnostic[] = [];
  const rangeOf = (node: YamlNode | null | undefined): Diagnostic['range'] => {
    const [start = 0, end = start] = node?.range ?? [];
    return { start: document.positionAt(start), end: document.positionAt(end) };
  };
  const steps: YamlNode[] = [];
  const jobs = yaml.get('jobs', true);
  if (isMap(jobs)) {
    for (const job of jobs.items) {
      const jobSteps = isMap(job.value) ? job.value.get('steps', true) : undefined;
      if (isSeq(jobSteps)) steps.push(...(jobSteps.items as YamlNode[]));
    }
  }
  const runs = yaml.get('runs', true);
  const compositeSteps = isMap(runs) ? runs.get('steps', true) : undefined;
  if (isSeq(compositeSteps)) steps.push(...(compositeSteps.items as YamlNode[]));

  for (const step of steps) {
    if (!isMap(step)) continue;
    const uses = step.get('uses', true);
    if (!isScalar(uses) || typeof uses.value !== 'string' || !uses.value.startsWith('./')) continue;
    const metadata = await readActionMetadataFile(path.join(root, uses.value));
    if (metadata === undefined) {
      diagnostics.push({
        message: `Unable to resolve action \`${uses.value}\`: no action.yml in this repository`,
        severity: DiagnosticSeverity.Error,
        range: rangeOf(uses),
      });
      continue;
    }
    const declared = metadata.inputs ?? {};
    const withNode = step.get('with', true);
    const given = new Set<string>();
    if (isMap(withNode)) {
      for (const pair of withNode.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        given.add(key);
        if (!(key in declared)) {
          diagnostics.push({
            message: `Invalid action input '${key}'`,
            severity: DiagnosticSeverity.Error,
            range: rangeOf(pair.key as YamlNode),
          });
        } else if (declared[key]?.deprecationMessage !== undefined) {
          diagnostics.push({
            message: declared[key].deprecationMessage,
            severity: DiagnosticSeverity.Warning,
            range: rangeOf(pair.key as YamlNode),
          });
        }
      }
    }
    const missing = Object.entries(declared).filter(
      ([name, spec]) => spec.required === true && spec.default === undefined && !given.has(name),
    );
    if (missing.length > 0) {
      diagnostics.push({
        message: `Missing required input(s) ${missing.map(([n]) => `\`${n}\``).join(', ')} of \`${uses.value}\``,
        severity: DiagnosticSeverity.Error,
        range: rangeOf(uses),
      });
    }
  }
  return diagnostics;
}
