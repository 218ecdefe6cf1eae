/** A file to publish, as read from disk and digested before anything is sent anywhere. */
export interface LocalAsset {
  /** Release asset name (the file name). */
  name: string;
  /** Absolute path. */
  file: string;
  sha256: string;
  size: number;
  contentType: string;
}
