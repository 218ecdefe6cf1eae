import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STAGE_COMMANDS } from '@packaging-factory/cli';
import { renderActionReference } from '../support/action-reference.ts';

const readme = path.resolve(import.meta.dirname, '..', '..', 'README.md');
const START = '<!-- action-reference:start -->';
const END = '<!-- action-reference:end -->';

test("the README's action reference lists every input and output of every action", async () => {
  const text = await readFile(readme, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const expected = `${START}\n\n${renderActionReference(STAGE_COMMANDS.map((c) => c.definition))}\n${END}`;
  const updated = text.slice(0, start) + expected + text.slice(end + END.length);
  if (process.env['UPDATE_GOLDEN'] === '1') await writeFile(readme, updated);
  expect(text).toBe(updated);
});
