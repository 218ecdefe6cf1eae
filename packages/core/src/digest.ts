import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from './errors.ts';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** Streams a file through the hash: constant memory whatever the file size. */
export async function digestFile(file: string, algorithm: DigestAlgorithm = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
    }
  } catch (error) {
    throw new FactoryError('FILE_UNREADABLE', `cannot read ${file} to compute its ${algorithm}`, {
      cause: error,
      subject: file,
      hint: 'check that the path exists and is a readable file',
    });
  }
  return hash.digest('hex');
}

export function digestBytes(data: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** A file named in the evidence pack: where it is, what it is, and its digest. */
export interface FileRecord {
  /** Path relative to the working directory when inside it, else absolute. */
  path: string;
  /** File name, the identity used by releases and provenance subjects. */
  name: string;
  sha256: string;
  size: number;
  /** What the file is to the stage: artifact, sbom, report, bundle, provenance, ... */
  role?: string;
}

/** Digests a file and describes it for the evidence pack. */
export async function describeFile(file: string, role?: string, baseDir = process.cwd()): Promise<FileRecord> {
  const absolute = path.resolve(baseDir, file);
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    throw new FactoryError('FILE_NOT_FOUND', `${file} does not exist`, {
      cause: error,
      subject: file,
      hint: 'check the path; relative paths are resolved from the working directory',
    });
  }
  if (!info.isFile()) {
    throw new FactoryError('FILE_UNREADABLE', `${file} is not a regular file`, { subject: file });
  }
  const relative = path.relative(baseDir, absolute);
  const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  const shown = outside ? absolute : relative;
  const record: FileRecord = { path: shown, name: path.basename(file), sha256: await digestFile(absolute), size: info.size };
  if (role !== undefined) record.role = role;
  return record;
}
