import parseSpdxExpression from 'spdx-expression-parse';
import { LICENSE_ALIASES, aliasKey, combineLicenses, licenseRefFor, normalizeLicense, normalizeLicenses } from '@packaging-factory/sbom';

describe('normalizeLicense', () => {
  it.each([
    // Already SPDX: unchanged.
    ['MIT', 'MIT'],
    ['(MIT OR Apache-2.0) AND BSD-3-Clause', '(MIT OR Apache-2.0) AND BSD-3-Clause'],
    ['GPL-2.0-or-later WITH Classpath-exception-2.0', 'GPL-2.0-or-later WITH Classpath-exception-2.0'],
    ['LicenseRef-Acme-Proprietary', 'LicenseRef-Acme-Proprietary'],
    // Case of ids, exceptions and operators.
    ['mit', 'MIT'],
    ['BSD-3-clause', 'BSD-3-Clause'],
    ['apache-2.0 or mit', 'Apache-2.0 OR MIT'],
    ['gpl-2.0+', 'GPL-2.0+'],
    ['GPL-2.0-or-later with classpath-exception-2.0', 'GPL-2.0-or-later WITH Classpath-exception-2.0'],
    // Unambiguous aliases (license-aliases.ts names the source of each).
    ['Apache 2.0', 'Apache-2.0'],
    ['Apache License, Version 2.0', 'Apache-2.0'],
    ['The MIT License', 'MIT'],
    ['Expat', 'MIT'],
    ['GPLv2+', 'GPL-2.0-or-later'],
    ['GPL-2', 'GPL-2.0-only'],
    ['LGPL-3+', 'LGPL-3.0-or-later'],
    // Already valid (the deprecated "+" form): kept, not rewritten.
    ['LGPL-2.1+', 'LGPL-2.1+'],
    ['BSD 3-Clause "New" or "Revised" License', 'BSD-3-Clause'],
    ['MIT and gplv3+', 'MIT AND GPL-3.0-or-later'],
    // Redundant parentheses go; precedence (AND before OR) keeps the needed ones.
    ['MIT AND (LGPL-2.1+ AND BSD-3-Clause)', 'MIT AND LGPL-2.1+ AND BSD-3-Clause'],
    ['(MIT)', 'MIT'],
  ])('%j → %s', (declared, expression) => {
    const license = normalizeLicense(declared);
    expect(license?.expression).toBe(expression);
    expect(license?.freeText).toBeUndefined();
    expect(() => parseSpdxExpression(expression)).not.toThrow();
  });

  it.each([
    // Several readings: left as text rather than guessed.
    ['BSD', 'LicenseRef-BSD'],
    ['UNLICENSED', 'LicenseRef-UNLICENSED'],
    ['GPL', 'LicenseRef-GPL'],
    ['Public Domain', 'LicenseRef-Public-Domain-f6960be1'],
    ['MIT/X11', 'LicenseRef-MIT-X11-91b778bc'],
    ['GPLv2+ or Artistic', 'LicenseRef-GPLv2-or-Artistic-8efea05d'],
    ['Licença Própria', 'LicenseRef-Licen-a-Pr-pria-3809b8d0'],
    ['许可证', 'LicenseRef-1b2ad79b'],
    // A DocumentRef needs an externalDocumentRefs entry we cannot write.
    ['DocumentRef-x:LicenseRef-y', 'LicenseRef-DocumentRef-x-LicenseRef-y-04264297'],
  ])('%j is free text → %s', (declared, licenseRef) => {
    const license = normalizeLicense(declared);
    expect(license).toEqual({ declared, expression: licenseRef, freeText: { licenseRef, text: declared }, licenseRefs: [licenseRef] });
    expect(() => parseSpdxExpression(licenseRef)).not.toThrow();
  });

  it('tells a single license-list id apart from an expression', () => {
    expect(normalizeLicense('mit')?.id).toBe('MIT');
    expect(normalizeLicense('GPL-2.0+')?.id).toBeUndefined();
    expect(normalizeLicense('MIT OR ISC')?.id).toBeUndefined();
    expect(normalizeLicense('LicenseRef-X')?.id).toBeUndefined();
  });

  it('treats blank and NOASSERTION as nothing declared', () => {
    expect(normalizeLicense('   ')).toBeUndefined();
    expect(normalizeLicense('noassertion')).toBeUndefined();
  });

  it('gives different free texts different LicenseRefs, the same text always the same', () => {
    expect(licenseRefFor('Foo Bar')).not.toBe(licenseRefFor('Foo-Bar'));
    expect(licenseRefFor('Foo-Bar')).toBe('LicenseRef-Foo-Bar');
    expect(licenseRefFor('Foo Bar')).toBe(licenseRefFor('Foo Bar'));
  });
});

describe('normalizeLicenses and combineLicenses', () => {
  it('dedupes by expression, sorts, and joins with AND keeping OR groups intact', () => {
    const licenses = normalizeLicenses(['MIT OR ISC', 'Public Domain', 'apache 2.0', 'Apache-2.0', '']);
    expect(licenses.map((l) => l.expression)).toEqual(['Apache-2.0', 'LicenseRef-Public-Domain-f6960be1', 'MIT OR ISC']);
    expect(combineLicenses(licenses)).toBe('Apache-2.0 AND LicenseRef-Public-Domain-f6960be1 AND (MIT OR ISC)');
    expect(combineLicenses(normalizeLicenses([]))).toBeUndefined();
  });

  it('is deterministic whatever the declaration order', () => {
    expect(combineLicenses(normalizeLicenses(['ISC', 'MIT']))).toBe(combineLicenses(normalizeLicenses(['MIT', 'ISC'])));
  });
});

describe('the alias table', () => {
  it('maps every name to a valid SPDX expression and is keyed the way lookups key names', () => {
    for (const [name, expression] of Object.entries(LICENSE_ALIASES)) {
      expect({ name, key: aliasKey(name) }).toEqual({ name, key: name });
      expect(() => parseSpdxExpression(expression)).not.toThrow();
    }
  });
});
