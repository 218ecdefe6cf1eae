/**
 * What the user can fix is a FactoryError with a stable code; anything else is a bug.
 * `kind` decides the exit code: a gate that said no exits 1, bad input or a missing tool exits 2.
 */
export type ErrorKind = 'gate' | 'input';

/** Stable error codes, grouped by stage. Add codes, never rename them: users match on them. */
export const ERROR_CODES = {
  // core / any stage
  INPUT_INVALID: 'input',
  INPUT_MISSING: 'input',
  FILE_NOT_FOUND: 'input',
  FILE_UNREADABLE: 'input',
  TOOL_MISSING: 'input',
  TOOL_FAILED: 'input',
  TOOL_TIMEOUT: 'input',
  ARCHIVE_UNSAFE: 'input',
  ARCHIVE_LIMIT: 'input',
  ARCHIVE_CORRUPT: 'input',
  EVIDENCE_INVALID: 'input',
  EVIDENCE_FINALIZED: 'input',
  NETWORK_FAILED: 'input',
  PIPELINE_INVALID: 'input',
  // build-package
  BUILD_INVALID_METADATA: 'input',
  BUILD_FAILED: 'input',
  BUILD_UNSUPPORTED_FORMAT: 'input',
  // generate-sbom
  SBOM_UNSUPPORTED_FORMAT: 'input',
  SBOM_INVALID: 'gate',
  SBOM_EMPTY: 'gate',
  // scan
  SCAN_DB_UNAVAILABLE: 'input',
  SCAN_SBOM_INVALID: 'input',
  SCAN_BLOCKED: 'gate',
  // sign / verify
  SIGN_KEY_INVALID: 'input',
  SIGN_FAILED: 'input',
  SIGN_VERIFY_FAILED: 'gate',
  VERIFY_FAILED: 'gate',
  VERIFY_BUNDLE_MISSING: 'gate',
  // test-install
  INSTALL_SANDBOX_UNAVAILABLE: 'input',
  INSTALL_FAILED: 'gate',
  INSTALL_DETECTION_FAILED: 'gate',
  INSTALL_RESIDUE: 'gate',
  // attest-provenance
  ATTEST_SUBJECT_MISMATCH: 'gate',
  ATTEST_FAILED: 'input',
  // publish
  PUBLISH_EVIDENCE_INCOMPLETE: 'gate',
  PUBLISH_ASSET_CONFLICT: 'gate',
  PUBLISH_DIGEST_MISMATCH: 'gate',
  PUBLISH_FAILED: 'input',
  PUBLISH_TARGET_INVALID: 'input',
  // build-package (appended)
  BUILD_OUTPUT_CONFLICT: 'input',
  // attest-provenance (appended)
  ATTEST_EVIDENCE_INCOMPLETE: 'gate',
  // generate-sbom (appended): a .deb ships npm packages whose package.json contradicts its lockfile
  SBOM_LOCKFILE_MISMATCH: 'gate',
  // scan (appended): no SBOM component could be looked up, so the gate cannot decide
  SCAN_NOTHING_SCANNED: 'input',
  // generate-sbom (appended): files the catalogers matched but could not read, so the SBOM would be incomplete
  SBOM_INCOMPLETE: 'gate',
  // scan (appended): a purl given to scan does not parse, has no version, or names an ecosystem scan cannot order
  SCAN_PURL_INVALID: 'input',
  SCAN_PURL_UNSUPPORTED: 'input',
  // formats (appended): a well-formed archive uses a feature this reader does not implement (bzip2 xar data, a code page)
  ARCHIVE_UNSUPPORTED: 'input',
  // scan (appended): the policy, exceptions and VEX files, and the ClamAV step
  SCAN_POLICY_INVALID: 'input',
  SCAN_EXCEPTIONS_INVALID: 'input',
  SCAN_VEX_INVALID: 'input',
  SCAN_MALWARE_DB_UNAVAILABLE: 'input',
  SCAN_MALWARE_FOUND: 'gate',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FactoryErrorOptions {
  cause?: unknown;
  /** The input, file or tool the user should look at. */
  subject?: string;
  /** What to do about it, one sentence. */
  hint?: string;
}

export class FactoryError extends Error {
  override readonly name = 'FactoryError';
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly subject: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: FactoryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = ERROR_CODES[code];
    this.subject = options.subject;
    this.hint = options.hint;
  }

  /** 1 when a gate said no, 2 for input, usage or environment problems. */
  get exitCode(): 1 | 2 {
    return this.kind === 'gate' ? 1 : 2;
  }
}

export function isFactoryError(error: unknown): error is FactoryError {
  return error instanceof FactoryError;
}

/** The message, then each `cause` in turn, for logs and the evidence pack. */
export function describeError(error: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = error;
  const seen = new Set<unknown>();
  while (current !== undefined && current !== null && !seen.has(current) && lines.length < 10) {
    seen.add(current);
    if (current instanceof FactoryError) {
      lines.push(`${current.code}: ${current.message}${current.hint ? ` (${current.hint})` : ''}`);
    } else if (current instanceof Error) {
      lines.push(current.message);
    } else {
      lines.push(typeof current === 'string' ? current : JSON.stringify(current));
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines;
}

/** The exit code for any error: FactoryError decides; a bug is an input-side failure (2). */
export function exitCodeFor(error: unknown): 1 | 2 {
  return isFactoryError(error) ? error.exitCode : 2;
}
