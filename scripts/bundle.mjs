// Bundles every action (and the CLI) into dist/<name>/index.js with ncc, as ESM, without ncc's cache:
// a stale cache once produced `require is not defined` at run time (../shared/TOOLS.md).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const targets = readdirSync(path.join(root, 'actions'))
  .filter((name) => existsSync(path.join(root, 'actions', name, 'src', 'index.ts')))
  .map((name) => ({ name, entry: path.join('actions', name, 'src', 'index.ts') }));
targets.push({ name: 'cli', entry: path.join('packages', 'cli', 'src', 'main.ts') });

const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
let failed = 0;
for (const { name, entry } of targets.filter((t) => only.length === 0 || only.includes(t.name))) {
  const out = path.join('dist', name);
  // Build beside the old bundle and swap only on success: a failed build leaves the last good one.
  const staging = path.join('dist', `.${name}.staging`);
  rmSync(path.join(root, staging), { recursive: true, force: true });
  const args = [ncc, 'build', entry, '-o', staging, '--no-cache', '--license', 'licenses.txt', '--target', 'es2022', '-q'];
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    rmSync(path.join(root, staging), { recursive: true, force: true });
    console.error(`bundle ${name}: ncc exited with ${String(result.status)}; dist/${name} left as it was`);
    failed += 1;
  } else {
    rmSync(path.join(root, out), { recursive: true, force: true });
    renameSync(path.join(root, staging), path.join(root, out));
    console.log(`bundled ${out}/index.js`);
  }
}
process.exit(failed === 0 ? 0 : 1);
