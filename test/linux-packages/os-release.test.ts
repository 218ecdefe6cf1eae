import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseOsRelease } from '@packaging-factory/formats';
import { distroReleaseFrom, findDistroRelease, readFileInRoot } from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';

describe('os-release(5) parsing', () => {
  it('reads quoted, single-quoted, escaped and unquoted values and skips comments', () => {
    const release = parseOsRelease(
      [
        '# comment line',
        'NAME="Debian GNU/Linux"',
        "PRETTY_NAME='Debian GNU/Linux 12 (bookworm)'",
        'ID=debian',
        'VERSION_ID="12"',
        'VERSION_CODENAME=bookworm',
        'HOME_URL="https://www.debian.org/"',
        'QUOTED="a \\"quoted\\" \\$dollar \\\\ back"',
        'not an assignment',
        '',
      ].join('\n'),
    );
    expect(release.id).toBe('debian');
    expect(release.versionId).toBe('12');
    expect(release.versionCodename).toBe('bookworm');
    expect(release.prettyName).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(release.fields['QUOTED']).toBe('a "quoted" $dollar \\ back');
    expect(Object.keys(release.fields)).not.toContain('not an assignment');
  });

  it('defaults ID to linux and rejects an unterminated quote', () => {
    expect(parseOsRelease('NAME=Thing\n').id).toBe('linux');
    expect(() => parseOsRelease('ID="debian\n')).toThrow(/unterminated/);
  });

  it.each([
    ['ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n', 'debian-12'],
    ['ID=alpine\nVERSION_ID=3.18.4\n', 'alpine-3.18.4'],
    ['ID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n', 'ubuntu-22.04'],
    ['ID=debian\nVERSION_CODENAME=trixie\nPRETTY_NAME="Debian GNU/Linux trixie/sid"\n', 'trixie'],
    ['ID=arch\n', 'arch'],
  ])('distro qualifier of %j is %s', (text, qualifier) => {
    expect(distroReleaseFrom(parseOsRelease(text)).qualifier).toBe(qualifier);
  });
});

describe('findDistroRelease on a root filesystem', () => {
  let root: string;
  beforeEach(async () => {
    root = await tempDir('linux-root-');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('follows an absolute etc/os-release symlink inside the root, not on the host', async () => {
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await mkdir(path.join(root, 'usr/lib'), { recursive: true });
    await writeFile(path.join(root, 'usr/lib/os-release'), 'ID=alpine\nVERSION_ID=3.18.4\n');
    await symlink('/usr/lib/os-release', path.join(root, 'etc/os-release'));
    expect(await findDistroRelease(root)).toEqual({ id: 'alpine', versionId: '3.18.4', qualifier: 'alpine-3.18.4' });
  });

  it('falls back to usr/lib/os-release and returns undefined without either', async () => {
    expect(await findDistroRelease(root)).toBeUndefined();
    await mkdir(path.join(root, 'usr/lib'), { recursive: true });
    await writeFile(path.join(root, 'usr/lib/os-release'), 'ID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n');
    expect(await findDistroRelease(root)).toEqual({ id: 'ubuntu', versionId: '22.04', codename: 'jammy', qualifier: 'ubuntu-22.04' });
  });

  it('never leaves the root through .. or absolute links', async () => {
    await mkdir(path.join(root, 'etc'), { recursive: true });
    // On the host this would be /etc/hostname; inside the root it does not exist.
    await symlink('../../../../../../../../etc/hostname', path.join(root, 'etc/os-release'));
    expect(await readFileInRoot(root, 'etc/os-release')).toBeUndefined();
    expect(await findDistroRelease(root)).toBeUndefined();
  });

  it('names a broken os-release with ARCHIVE_CORRUPT', async () => {
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(path.join(root, 'etc/os-release'), 'ID="debian\n');
    await expect(findDistroRelease(root)).rejects.toMatchObject({ code: 'ARCHIVE_CORRUPT' });
  });
});
