import type { ExecRunner } from '@packaging-factory/core';
import type { SbomComponent } from './sbom-component.ts';

/**
 * The contract every cataloger implements. generate-sbom walks its inputs once, asks each
 * registered cataloger whether a file is its own (by name, path and leading bytes: never by
 * opening the file twice), then catalogues the matches. Format parsing lives in
 * @packaging-factory/formats; a cataloger maps what a parser read onto the neutral SbomComponent.
 */

/** A file offered to a cataloger during the walk. */
export interface CatalogCandidate {
  /** Absolute path. */
  path: string;
  /** Base name. */
  name: string;
  /** Path relative to the walked root, '/'-separated ('' parts never); the file name itself when named directly. */
  relative: string;
  /** Up to the first 512 bytes. */
  head: Buffer;
  /** True when the user named this file directly (not found in a directory walk). */
  explicit: boolean;
}

/** The operating system a walked root filesystem declares in os-release (purl `distro` qualifier). */
export interface DistroRelease {
  /** os-release ID ('debian', 'ubuntu', 'alpine', 'rhel', ...). */
  id: string;
  /** os-release VERSION_ID ('12', '22.04', '3.18.4'), when present. */
  versionId?: string;
  /** os-release VERSION_CODENAME ('bookworm'), when present. */
  codename?: string;
  /** The purl `distro` qualifier value: `<id>-<versionId>` ('debian-12', 'alpine-3.18.4'), or the id alone. */
  qualifier: string;
}

export interface CatalogContext {
  exec: ExecRunner;
  /** Working directory (for display paths). */
  workDir: string;
  /** The distribution of the root filesystem this file was found in, when the walk found an os-release. */
  distro?: DistroRelease;
  /** Root of the directory walk this file was found in (absolute), when found by a walk. */
  root?: string;
  /** A directory the cataloger may create temp files in (removed with the stage's temp dir). */
  tempDir?: string;
  /**
   * Catalogues a directory the cataloger unpacked (an archive's content) with every cataloger, as
   * if it were an input; what it finds joins the SBOM, named `<this file>:<path inside>`.
   */
  catalogNested?: (dir: string) => Promise<void>;
}

export interface CatalogTarget {
  /** Absolute path of the matched file. */
  file: string;
  /** Path as shown to users (relative to the working directory when inside it). */
  shown: string;
}

export interface CatalogOutput {
  components: SbomComponent[];
  /** Findings worth a line in the job summary that do not fail the stage. */
  notes: string[];
  /** Files within this input that could not be read, and why (listed in the job summary and evidence). */
  unreadable: { file: string; reason: string }[];
}

export interface Cataloger {
  /** Source kind recorded in the SBOM's sources and the evidence record ('python-wheel', 'rpm', 'dpkg-status'...). */
  kind: string;
  /** Evidence role of the input file (FileRecord role): 'artifact' for packages, 'lockfile' or 'manifest' for metadata. */
  role: 'artifact' | 'lockfile' | 'manifest';
  /** Whether this cataloger reads the candidate; cheap and synchronous. */
  matches(candidate: CatalogCandidate): boolean;
  /** Reads the file. Throws FactoryError (input kind) for a file it matched but cannot read. */
  catalog(target: CatalogTarget, ctx: CatalogContext): Promise<CatalogOutput>;
}
