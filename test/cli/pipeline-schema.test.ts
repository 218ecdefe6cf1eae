import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipelineSchema } from '@packaging-factory/cli';

const file = path.resolve(import.meta.dirname, '..', '..', 'packages', 'cli', 'schema', 'pipeline.schema.json');

test('the committed pipeline schema is the one derived from the stage inputs', async () => {
  const expected = `${JSON.stringify(pipelineSchema(), null, 2)}\n`;
  if (process.env['UPDATE_GOLDEN'] === '1') await writeFile(file, expected);
  expect(await readFile(file, 'utf8')).toBe(expected);
});
