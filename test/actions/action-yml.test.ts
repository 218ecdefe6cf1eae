import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STAGE_COMMANDS } from '@packaging-factory/cli';
import { renderActionYml } from '../support/action-yml.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('actions/<name>/action.yml', () => {
  test.each(STAGE_COMMANDS.map((c) => [c.name, c]))('%s matches its stage definition', async (name, command) => {
    const file = path.join(root, 'actions', name, 'action.yml');
    const expected = renderActionYml(command.definition);
    if (process.env['UPDATE_GOLDEN'] === '1') await writeFile(file, expected);
    const actual = await readFile(file, 'utf8');
    expect(actual).toBe(expected);
  });
});
