#!/usr/bin/env node
// Bundles the CLI of the current tree into a temp dir (default /tmp/bench-factory/index.js) without touching dist/,
// with ncc --transpile-only, so a tree whose tests do not type-check yet can still be measured.
//
// Why not plain `ncc build packages/cli/src/main.ts --transpile-only`: under TypeScript 6 that fails with TS5011
// (ncc sets outDir, the repo's tsconfig has no rootDir), and transpiling each file alone with module NodeNext
// cannot see the package.json "type", so files come out as CommonJS and top-level await breaks. Here a throwaway
// tsconfig (the repo's options, module ESNext + Bundler resolution, rootDir /) sits beside a one-line entry that
// imports packages/cli/src/main.ts; ncc finds that tsconfig first and emits ESM, with the flags scripts/bundle.mjs
// uses (--no-cache, --target es2022).
//
// Usage: node bench/sbom/build-factory.mjs [--out /tmp/bench-factory]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const repo = path.resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(os.tmpdir(), 'bench-factory') } } });
const out = path.resolve(values.out);

const staging = mkdtempSync(path.join(os.tmpdir(), 'bench-factory-src-'));
try {
  const tsconfig = JSON.parse(readFileSync(path.join(repo, 'tsconfig.json'), 'utf8'));
  delete tsconfig.include;
  tsconfig.files = ['entry.ts'];
  tsconfig.compilerOptions = { ...tsconfig.compilerOptions, rootDir: '/', module: 'ESNext', moduleResolution: 'Bundler' };
  writeFileSync(path.join(staging, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  writeFileSync(path.join(staging, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(path.join(staging, 'entry.ts'), `import ${JSON.stringify(path.join(repo, 'packages', 'cli', 'src', 'main.ts'))};\n`);
  rmSync(out, { recursive: true, force: true });
  const ncc = path.join(repo, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  const args = [ncc, 'build', 'entry.ts', '-o', out, '--no-cache', '--transpile-only', '--target', 'es2022', '-q'];
  const result = spawnSync(process.execPath, args, { cwd: staging, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build-factory: ncc exited with ${String(result.status)}`);
    process.exit(1);
  }
  console.log(path.join(out, 'index.js'));
} finally {
  rmSync(staging, { recursive: true, force: true });
}
