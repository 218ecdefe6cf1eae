import { compareDebianVersions, DebianVersionError, isDebianVersion } from './debian-version.ts';
import { type EcosystemSupport, VersionSyntaxError } from './version-comparator.ts';

/** Debian: source package names as the advisories use them; dpkg's version ordering. */
export const debianEcosystem: EcosystemSupport = {
  ecosystem: 'Debian',
  comparator: 'dpkg version algorithm',
  normaliseName: (name) => name,
  isValid: isDebianVersion,
  compare: (a, b) => {
    try {
      return compareDebianVersions(a, b);
    } catch (error) {
      if (error instanceof DebianVersionError) {
        throw new VersionSyntaxError('Debian', isDebianVersion(a) ? b : a, error.message);
      }
      throw error;
    }
  },
};
