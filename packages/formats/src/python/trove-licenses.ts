/**
 * License classifiers (trove classifiers, the list PyPI accepts: github.com/pypa/trove-classifiers,
 * src/trove_classifiers/__init__.py) mapped to SPDX license ids (spdx.org/licenses). Only
 * classifiers that name exactly one license version are mapped; 'Apache Software License',
 * 'BSD License', 'GNU General Public License (GPL)', 'Artistic License', 'Academic Free License
 * (AFL)' and the like name a family, and guessing its version would put a wrong id in the SBOM.
 */
const TROVE_TO_SPDX: ReadonlyMap<string, string> = new Map([
  ['License :: OSI Approved :: MIT License', 'MIT'],
  ['License :: OSI Approved :: MIT No Attribution License (MIT-0)', 'MIT-0'],
  ['License :: OSI Approved :: ISC License (ISCL)', 'ISC'],
  ['License :: OSI Approved :: Python Software Foundation License', 'PSF-2.0'],
  ['License :: OSI Approved :: Python License (CNRI Python License)', 'CNRI-Python'],
  ['License :: OSI Approved :: Mozilla Public License 1.0 (MPL)', 'MPL-1.0'],
  ['License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)', 'MPL-1.1'],
  ['License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)', 'MPL-2.0'],
  ['License :: OSI Approved :: GNU General Public License v2 (GPLv2)', 'GPL-2.0-only'],
  ['License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)', 'GPL-2.0-or-later'],
  ['License :: OSI Approved :: GNU General Public License v3 (GPLv3)', 'GPL-3.0-only'],
  ['License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)', 'GPL-3.0-or-later'],
  ['License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)', 'LGPL-2.0-only'],
  ['License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)', 'LGPL-2.0-or-later'],
  ['License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)', 'LGPL-3.0-only'],
  ['License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)', 'LGPL-3.0-or-later'],
  ['License :: OSI Approved :: GNU Affero General Public License v3', 'AGPL-3.0-only'],
  ['License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)', 'AGPL-3.0-or-later'],
  ['License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)', 'BSL-1.0'],
  ['License :: OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)', 'EPL-1.0'],
  ['License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)', 'EPL-2.0'],
  ['License :: OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)', 'EUPL-1.1'],
  ['License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)', 'EUPL-1.2'],
  ['License :: OSI Approved :: The Unlicense (Unlicense)', 'Unlicense'],
  ['License :: OSI Approved :: Universal Permissive License (UPL)', 'UPL-1.0'],
  ['License :: OSI Approved :: zlib/libpng License', 'Zlib'],
  ['License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)', 'HPND'],
  ['License :: OSI Approved :: PostgreSQL License', 'PostgreSQL'],
  ['License :: OSI Approved :: W3C License', 'W3C'],
  ['License :: OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)', 'BlueOak-1.0.0'],
  ['License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication', 'CC0-1.0'],
]);

/** The SPDX id of a license classifier, when it names exactly one license. */
export function spdxFromTroveClassifier(classifier: string): string | undefined {
  return TROVE_TO_SPDX.get(classifier.trim());
}

/** True for a `License :: ...` classifier. */
export function isLicenseClassifier(classifier: string): boolean {
  return classifier.trim().startsWith('License ::');
}
