import { FactoryError, isFactoryError, type ExecRunner } from '@packaging-factory/core';

/** Who a .deb says it is, from its control file. */
export interface DebIdentity {
  name: string;
  version: string;
  architecture?: string;
}

/**
 * Reads Package, Version and Architecture with `dpkg-deb -f` (deb(5) control fields). dpkg-deb
 * prints one `Field: value` line per requested field that exists, in the order asked.
 */
export async function readDebIdentity(exec: ExecRunner, file: string, inputName = 'package'): Promise<DebIdentity> {
  await exec.require('dpkg-deb', 'dpkg');
  let stdout: string;
  try {
    stdout = (await exec.run('dpkg-deb', ['-f', file, 'Package', 'Version', 'Architecture'], { timeoutMs: 60_000 })).stdout;
  } catch (error) {
    if (isFactoryError(error) && error.code === 'TOOL_FAILED') {
      throw new FactoryError('INPUT_INVALID', `${file} is not a Debian package dpkg-deb can read`, {
        cause: error,
        subject: inputName,
        hint: `pass a .deb file as '${inputName}'`,
      });
    }
    throw error;
  }
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*?)\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) fields.set(match[1].toLowerCase(), match[2]);
  }
  const name = fields.get('package');
  const version = fields.get('version');
  if (name === undefined || name === '' || version === undefined || version === '') {
    throw new FactoryError('INPUT_INVALID', `${file} has no ${name ? 'Version' : 'Package'} field in its control file`, {
      subject: inputName,
      hint: 'rebuild the package with a complete DEBIAN/control',
    });
  }
  const identity: DebIdentity = { name, version };
  const architecture = fields.get('architecture');
  if (architecture !== undefined && architecture !== '') identity.architecture = architecture;
  return identity;
}
