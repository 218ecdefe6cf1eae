/** What happened to one asset: sent or written now, or already there with the same digest. */
export type AssetAction = 'uploaded' | 'written' | 'skipped';

export interface AssetOutcome {
  name: string;
  sha256: string;
  size: number;
  action: AssetAction;
}

/** The result of publishing to one target. */
export interface PublishReport {
  target: 'github' | 'dir';
  /** `published` when this run made the release public, `skip` when it already was, identically. */
  decision: 'published' | 'skip';
  releaseUrl: string;
  releaseId: string;
  /** Every asset, SHA256SUMS included, sorted by name. */
  assets: AssetOutcome[];
  /** Facts worth a line in the evidence record (a resumed draft, a removed incomplete upload...). */
  notes: string[];
}
