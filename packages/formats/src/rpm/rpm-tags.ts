/**
 * RPM header tag numbers and data types (rpm's include/rpm/rpmtag.h; the file format is described
 * in rpm's docs/manual/format.md and the LSB "Package File Format" chapter). Only the tags the
 * factory reads are named.
 */

export const RPM_TAG = {
  /** The locales of I18NSTRING values, in order (the first is 'C'). */
  HEADERI18NTABLE: 100,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  DESCRIPTION: 1005,
  BUILDTIME: 1006,
  BUILDHOST: 1007,
  INSTALLTIME: 1008,
  SIZE: 1009,
  DISTRIBUTION: 1010,
  VENDOR: 1011,
  LICENSE: 1014,
  PACKAGER: 1015,
  GROUP: 1016,
  URL: 1020,
  OS: 1021,
  ARCH: 1022,
  SOURCERPM: 1044,
  PROVIDENAME: 1047,
  REQUIREFLAGS: 1048,
  REQUIRENAME: 1049,
  REQUIREVERSION: 1050,
  /** Present (any value) in source packages' headers. */
  SOURCEPACKAGE: 1106,
  PROVIDEFLAGS: 1112,
  PROVIDEVERSION: 1113,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  DISTURL: 1123,
  LONGSIZE: 5009,
  MODULARITYLABEL: 5096,
} as const;

/** Header entry data types (rpmTagType). */
export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** Dependency sense flags (rpmsenseFlags): the comparison bits and the rpmlib() marker. */
export const RPM_SENSE = {
  LESS: 0x02,
  GREATER: 0x04,
  EQUAL: 0x08,
  /** `rpmlib(...)` features the rpm binary itself provides, not packages. */
  RPMLIB: 0x01000000,
} as const;
