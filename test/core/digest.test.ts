import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeFile, digestBytes, digestFile, FactoryError } from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('factory-digest-');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// FIPS 180-2 appendix test vectors for "abc".
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const ABC_SHA512 =
  'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f';

describe('digests', () => {
  it('match the FIPS 180-2 vectors for bytes and files', async () => {
    expect(digestBytes('abc')).toBe(ABC_SHA256);
    expect(digestBytes(Buffer.from('abc'), 'sha512')).toBe(ABC_SHA512);
    const file = path.join(dir, 'abc.txt');
    await writeFile(file, 'abc');
    expect(await digestFile(file)).toBe(ABC_SHA256);
    expect(await digestFile(file, 'sha512')).toBe(ABC_SHA512);
  });

  it('streams a 50 MB file to the same digest as hashing it in one piece', async () => {
    const data = randomBytes(50 * 1024 * 1024 + 123); // not a multiple of the read size
    const file = path.join(dir, 'big.bin');
    await writeFile(file, data);
    expect(await digestFile(file)).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('names a file it cannot read', async () => {
    const missing = path.join(dir, 'missing.bin');
    const error = await digestFile(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect(error).toMatchObject({ code: 'FILE_UNREADABLE', subject: missing });
  });
});

describe('describeFile', () => {
  it('records path relative to the base dir, name, size, digest and role', async () => {
    await mkdir(path.join(dir, 'dist'));
    await writeFile(path.join(dir, 'dist', 'app.deb'), 'abc');
    expect(await describeFile(path.join(dir, 'dist', 'app.deb'), 'artifact', dir)).toEqual({
      path: path.join('dist', 'app.deb'),
      name: 'app.deb',
      sha256: ABC_SHA256,
      size: 3,
      role: 'artifact',
    });
    // A relative path is resolved against the base dir, not the process's working directory.
    expect(await describeFile(path.join('dist', 'app.deb'), undefined, dir)).toEqual({
      path: path.join('dist', 'app.deb'),
      name: 'app.deb',
      sha256: ABC_SHA256,
      size: 3,
    });
  });

  it('shows files outside the base dir (even ones named "..x") by their absolute path', async () => {
    await mkdir(path.join(dir, 'base'));
    await writeFile(path.join(dir, 'outside.txt'), 'abc');
    await writeFile(path.join(dir, 'base', '..x'), 'abc');
    expect((await describeFile(path.join(dir, 'outside.txt'), undefined, path.join(dir, 'base'))).path).toBe(path.join(dir, 'outside.txt'));
    expect((await describeFile(path.join(dir, 'base', '..x'), undefined, path.join(dir, 'base'))).path).toBe('..x');
  });

  it('refuses a missing path and a directory', async () => {
    await expect(describeFile(path.join(dir, 'nope'), undefined, dir)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(describeFile(dir, undefined, dir)).rejects.toMatchObject({
      code: 'FILE_UNREADABLE',
      message: expect.stringContaining('not a regular file') as unknown,
    });
  });
});
