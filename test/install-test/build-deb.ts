import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A small .deb to build with the real dpkg-deb. */
export interface DebSpec {
  name: string;
  version: string;
  depends?: string;
  /** Absolute install path → file content (and mode, default 0644). */
  files?: Record<string, { content: string; mode?: number }>;
  /** Maintainer scripts by name (postinst, postrm, ...), shell text. */
  scripts?: Partial<Record<'preinst' | 'postinst' | 'prerm' | 'postrm', string>>;
  conffiles?: string[];
}

/** Builds `spec` under `dir` with dpkg-deb --root-owner-group (reproducible with SOURCE_DATE_EPOCH). */
export async function buildDeb(dir: string, spec: DebSpec): Promise<string> {
  const root = path.join(dir, `${spec.name}-root`);
  await mkdir(path.join(root, 'DEBIAN'), { recursive: true });
  const control = [
    `Package: ${spec.name}`,
    `Version: ${spec.version}`,
    'Architecture: all',
    'Maintainer: Packaging Factory Tests <tests@packaging-factory.invalid>',
    ...(spec.depends ? [`Depends: ${spec.depends}`] : []),
    `Description: install-test fixture ${spec.name}`,
    '',
  ].join('\n');
  await writeFile(path.join(root, 'DEBIAN', 'control'), control);
  for (const [file, { content, mode }] of Object.entries(spec.files ?? {})) {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    await chmod(target, mode ?? 0o644);
  }
  for (const [script, text] of Object.entries(spec.scripts ?? {})) {
    const target = path.join(root, 'DEBIAN', script);
    await writeFile(target, text);
    await chmod(target, 0o755);
  }
  if (spec.conffiles !== undefined) await writeFile(path.join(root, 'DEBIAN', 'conffiles'), `${spec.conffiles.join('\n')}\n`);
  const deb = path.join(dir, `${spec.name}_${spec.version}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], {
    env: { ...process.env, SOURCE_DATE_EPOCH: '1767225600' },
    stdio: 'pipe',
  });
  return deb;
}

/**
 * Whether this machine can run the overlay sandbox (root, unshare, overlayfs): tried for real once.
 * Returns the reason when it cannot.
 */
export function sandboxUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root';
  for (const tool of ['dpkg-deb', 'unshare']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed`;
  }
  // capsh has no --version; --print exits 0 wherever it is installed (libcap2-bin).
  if (spawnSync('capsh', ['--print'], { stdio: 'ignore' }).status !== 0) return 'capsh (libcap2-bin) is not installed';
  const probe = spawnSync('unshare', ['--mount', '--pid', '--fork', '--net', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare refused: ${probe.stderr.trim()}`;
  return undefined;
}
