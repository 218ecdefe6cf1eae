/**
 * How one OSV ecosystem names and orders its package versions. The matcher knows nothing about any
 * ecosystem: it looks the base ecosystem up here, so a new ecosystem is one more entry.
 */
export interface EcosystemSupport {
  /** The OSV base ecosystem name, e.g. `npm`, `Debian`. */
  readonly ecosystem: string;
  /** The library or algorithm that orders versions, for the report. */
  readonly comparator: string;
  /** The package name as the database indexes it (npm: exact and case-sensitive). */
  normaliseName(name: string): string;
  /** True when `compare` can order this version. */
  isValid(version: string): boolean;
  /** Negative, zero or positive like a sort callback; throws when either version is invalid. */
  compare(a: string, b: string): number;
}

/** A version the ecosystem's comparator cannot order: the matcher turns it into an undecidable match. */
export class VersionSyntaxError extends Error {
  override readonly name = 'VersionSyntaxError';
  constructor(
    readonly ecosystem: string,
    readonly version: string,
    reason?: string,
  ) {
    super(`'${version}' is not a valid ${ecosystem} version${reason ? `: ${reason}` : ''}`);
  }
}
