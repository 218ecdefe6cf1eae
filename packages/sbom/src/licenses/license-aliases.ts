/**
 * License names seen in package metadata that stand for exactly one SPDX expression. Only names
 * with one reading are here: "BSD", "GPL", "LGPLv2+" (Fedora used it for both LGPL 2.0 and 2.1),
 * "Apache", "Artistic" and "Public Domain" have several and stay free text (LicenseRef-).
 *
 * Keys are compared after `aliasKey`: lower case, quotes and commas removed, whitespace collapsed,
 * a leading "the " dropped. Each group cites where the spelling comes from.
 */
export const LICENSE_ALIASES: Readonly<Record<string, string>> = {
  // SPDX License List (spdx.org/licenses), the `name` each identifier is listed with.
  'apache license 2.0': 'Apache-2.0',
  'mit license': 'MIT',
  'isc license': 'ISC',
  'bsd 2-clause simplified license': 'BSD-2-Clause',
  'bsd 3-clause new or revised license': 'BSD-3-Clause',
  'mozilla public license 2.0': 'MPL-2.0',
  'gnu general public license v2.0 only': 'GPL-2.0-only',
  'gnu general public license v2.0 or later': 'GPL-2.0-or-later',
  'gnu general public license v3.0 only': 'GPL-3.0-only',
  'gnu general public license v3.0 or later': 'GPL-3.0-or-later',
  'gnu lesser general public license v2.1 only': 'LGPL-2.1-only',
  'gnu lesser general public license v2.1 or later': 'LGPL-2.1-or-later',
  'gnu lesser general public license v3.0 only': 'LGPL-3.0-only',
  'gnu lesser general public license v3.0 or later': 'LGPL-3.0-or-later',
  'gnu affero general public license v3.0 only': 'AGPL-3.0-only',
  'gnu affero general public license v3.0 or later': 'AGPL-3.0-or-later',
  'creative commons zero v1.0 universal': 'CC0-1.0',
  'eclipse public license 2.0': 'EPL-2.0',
  'boost software license 1.0': 'BSL-1.0',
  'zlib license': 'Zlib',
  'python software foundation license 2.0': 'PSF-2.0',
  'artistic license 2.0': 'Artistic-2.0',
  'european union public license 1.2': 'EUPL-1.2',
  // The licenses' own title lines ("Apache License, Version 2.0", "Mozilla Public License
  // Version 2.0") and the spellings of them common in npm and PyPI metadata.
  'apache license version 2.0': 'Apache-2.0',
  'apache software license 2.0': 'Apache-2.0',
  'apache software license version 2.0': 'Apache-2.0',
  'apache 2.0': 'Apache-2.0',
  'apache 2': 'Apache-2.0',
  'apache-2': 'Apache-2.0',
  apache2: 'Apache-2.0',
  'apache v2': 'Apache-2.0',
  'apache license 2': 'Apache-2.0',
  'mozilla public license version 2.0': 'MPL-2.0',
  'mpl 2.0': 'MPL-2.0',
  mpl2: 'MPL-2.0',
  'bsd 3-clause': 'BSD-3-Clause',
  '3-clause bsd': 'BSD-3-Clause',
  'bsd-3': 'BSD-3-Clause',
  'new bsd': 'BSD-3-Clause',
  'new bsd license': 'BSD-3-Clause',
  'modified bsd license': 'BSD-3-Clause',
  'revised bsd license': 'BSD-3-Clause',
  'bsd 2-clause': 'BSD-2-Clause',
  '2-clause bsd': 'BSD-2-Clause',
  'simplified bsd': 'BSD-2-Clause',
  'simplified bsd license': 'BSD-2-Clause',
  // Debian machine-readable copyright format 1.0 (DEP-5), "License short name" table: "Expat" is
  // its name for MIT; "-N" means that version only, "-N+" that version or any later one.
  expat: 'MIT',
  'expat license': 'MIT',
  'gpl-2': 'GPL-2.0-only',
  'gpl-2+': 'GPL-2.0-or-later',
  'gpl-3': 'GPL-3.0-only',
  'gpl-3+': 'GPL-3.0-or-later',
  'lgpl-2.1': 'LGPL-2.1-only',
  'lgpl-2.1+': 'LGPL-2.1-or-later',
  'lgpl-3': 'LGPL-3.0-only',
  'lgpl-3+': 'LGPL-3.0-or-later',
  // Fedora's legacy (pre-2022) License: tag abbreviations, as mapped in fedora-license-data.
  gplv2: 'GPL-2.0-only',
  'gplv2+': 'GPL-2.0-or-later',
  gplv3: 'GPL-3.0-only',
  'gplv3+': 'GPL-3.0-or-later',
  lgplv3: 'LGPL-3.0-only',
  'lgplv3+': 'LGPL-3.0-or-later',
  agplv3: 'AGPL-3.0-only',
  'agplv3+': 'AGPL-3.0-or-later',
  'asl 2.0': 'Apache-2.0',
  'mplv2.0': 'MPL-2.0',
  boost: 'BSL-1.0',
};

/** The lookup key of a license name: case, quotes, commas and spacing do not matter. */
export function aliasKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/["'“”,]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^the /, '');
}
