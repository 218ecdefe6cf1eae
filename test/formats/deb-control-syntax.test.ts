import {
  debArchitectureProblem,
  debDescription,
  debMaintainerProblem,
  debPackageNameProblem,
  debVersionForFileName,
  debVersionProblem,
  formatDeb822,
  formatDebRelations,
  parseDeb822,
  parseDebRelation,
  parseDebRelations,
  parseDebVersion,
} from '@packaging-factory/formats';

describe('deb822 paragraphs (deb822(5), Policy §5.1)', () => {
  const text = [
    'Package: hello-factory',
    'version: 1.0.0',
    'Description: greets people',
    ' A longer text.',
    ' .',
    ' Second paragraph.',
    '',
    '# a comment',
    'Package: other',
    '',
  ].join('\n');

  it('reads fields case-insensitively with continuation lines kept', () => {
    const [first, second] = parseDeb822(text);
    expect(first?.get('Version')).toBe('1.0.0');
    expect(first?.get('description')).toBe('greets people\nA longer text.\n.\nSecond paragraph.');
    expect(second?.toRecord()).toEqual({ Package: 'other' });
    expect(debDescription(first!.get('Description')!)).toEqual({
      synopsis: 'greets people',
      extended: 'A longer text.\n\nSecond paragraph.',
    });
  });

  it('round-trips through the writer, empty lines as " ."', () => {
    const fields = parseDeb822(text)[0]!.fields;
    const written = formatDeb822(fields);
    expect(written).toBe('Package: hello-factory\nversion: 1.0.0\nDescription: greets people\n A longer text.\n .\n Second paragraph.\n');
    expect(parseDeb822(written)[0]!.fields).toEqual(fields);
  });

  it.each([
    [' leading continuation', /continuation line before any field/],
    ['NoColonHere', /expected 'Field: value'/],
    ['A: 1\na: 2', /duplicate field/],
  ])('rejects %j', (input, message) => {
    expect(() => parseDeb822(input)).toThrow(message);
  });
});

describe('relationship fields (Policy §7.1)', () => {
  it('parses alternatives, operators, arch qualifiers, restrictions and profiles', () => {
    expect(
      parseDebRelations('libc6 (>= 2.34), python3:any | python3-minimal (<< 3.12~), foo [amd64 !i386] <!nocheck> <stage1 cross>'),
    ).toEqual([
      [{ name: 'libc6', version: { operator: '>=', version: '2.34' } }],
      [
        { name: 'python3', archQualifier: 'any' },
        { name: 'python3-minimal', version: { operator: '<<', version: '3.12~' } },
      ],
      [{ name: 'foo', architectures: ['amd64', '!i386'], profiles: [['!nocheck'], ['stage1', 'cross']] }],
    ]);
  });

  it('reads obsolete < and > as <= and >=', () => {
    expect(parseDebRelation('foo (< 2)').version).toEqual({ operator: '<=', version: '2' });
    expect(parseDebRelation('foo (>1)').version).toEqual({ operator: '>=', version: '1' });
  });

  it('renders what it parsed', () => {
    const field = 'debconf (>= 0.5) | debconf-2.0, libpam-modules (>= 1.0.1-6)';
    expect(formatDebRelations(parseDebRelations(field))).toBe(field);
    expect(parseDebRelations('  ')).toEqual([]);
    expect(parseDebRelations(undefined)).toEqual([]);
  });

  it.each(['Foo', 'a', 'foo (~= 1)', 'foo,, bar', 'foo (>= 1', 'foo:'])('rejects %j', (field) => {
    expect(() => parseDebRelations(field)).toThrow();
  });
});

describe('Debian Policy checks for metadata', () => {
  it.each(['hello-factory', 'g++', 'libc6', 'python3.11', '0ad'])('accepts the package name %s', (name) => {
    expect(debPackageNameProblem(name)).toBeUndefined();
  });
  it.each(['Hello', 'h', '-x', 'hello_factory', 'héllo'])('rejects the package name %s', (name) => {
    expect(debPackageNameProblem(name)).toMatch(/§5\.6\.7/);
  });

  it.each(['1.0.0', '1:1.2.13.dfsg-1', '2.10-3', '1.0~rc1', '1.5.2-6+deb12u2', '1:2:3-4', '1.0-1-2'])(
    'accepts the version %s',
    (version) => {
      expect(debVersionProblem(version)).toBeUndefined();
    },
  );
  it.each(['v1.0', '', 'a:1.0', '1.0-', '1_0', '1.0:1', 'abc', '1.0-r$'])('rejects the version %j', (version) => {
    expect(debVersionProblem(version)).toMatch(/§5\.6\.12/);
  });
  it('splits epoch, upstream and revision and drops the epoch from file names', () => {
    expect(parseDebVersion('1:1.2.13.dfsg-1')).toEqual({ epoch: 1, upstream: '1.2.13.dfsg', revision: '1' });
    expect(parseDebVersion('1.0-1-2')).toEqual({ epoch: 0, upstream: '1.0-1', revision: '2' });
    expect(debVersionForFileName('1:1.2.13.dfsg-1')).toBe('1.2.13.dfsg-1');
  });

  it('wants one concrete architecture or all', () => {
    expect(debArchitectureProblem('all')).toBeUndefined();
    expect(debArchitectureProblem('amd64')).toBeUndefined();
    expect(debArchitectureProblem('any')).toMatch(/wildcard/);
    expect(debArchitectureProblem('linux-any')).toMatch(/wildcard/);
    expect(debArchitectureProblem('AMD64')).toMatch(/§5\.6\.8/);
  });

  it('wants a maintainer as "Name <email>"', () => {
    expect(debMaintainerProblem('Ada Lovelace <ada@example.org>')).toBeUndefined();
    expect(debMaintainerProblem('ada@example.org')).toMatch(/Full Name/);
    expect(debMaintainerProblem('Lovelace, Ada <ada@example.org>')).toMatch(/without commas/);
    expect(debMaintainerProblem('Ada <not-an-email>')).toBeDefined();
  });
});
