import signPackage from '@sigstore/sign/package.json' with { type: 'json' };
import verifyPackage from '@sigstore/verify/package.json' with { type: 'json' };
import bundlePackage from '@sigstore/bundle/package.json' with { type: 'json' };
import type { ExecRunner, ToolRecord } from '@packaging-factory/core';

/**
 * The signing libraries and their versions, read from their package.json (imported, so a bundled
 * action reports the versions it was built with), plus the OpenSSL behind node:crypto.
 */
export function sigstoreLibraries(): ToolRecord[] {
  return [
    { name: '@sigstore/bundle', version: bundlePackage.version },
    { name: '@sigstore/sign', version: signPackage.version },
    { name: '@sigstore/verify', version: verifyPackage.version },
    { name: 'node:crypto (OpenSSL)', version: process.versions.openssl },
  ];
}

/** Records the signing libraries as tools of the running stage. */
export function recordSigstoreLibraries(exec: ExecRunner): void {
  for (const tool of sigstoreLibraries()) exec.recordTool(tool);
}
