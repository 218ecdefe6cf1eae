import { compareSemver, isSemver } from '../npm-ecosystem.ts';
import type { EcosystemSupport } from '../version-comparator.ts';

/**
 * crates.io: Cargo versions are SemVer 2.0 (the `semver` crate), ordered by §11 precedence with
 * build metadata ignored, as OSV's SEMVER ranges (which RustSec uses) require: node-semver does that.
 * Crate names are unique ignoring case and `-`/`_` (crates.io refuses `foo_bar` once `foo-bar`
 * exists), so the index folds both.
 */
export const cratesEcosystem: EcosystemSupport = {
  ecosystem: 'crates.io',
  comparator: 'semver (SemVer 2.0 precedence)',
  normaliseName: (name) => name.trim().toLowerCase().replaceAll('_', '-'),
  isValid: isSemver,
  compare: (a, b) => compareSemver(a, b, 'crates.io'),
};
