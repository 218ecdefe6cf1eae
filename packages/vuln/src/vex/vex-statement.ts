/** The four VEX statuses (CISA Minimum Requirements for VEX; OpenVEX v0.2.0 `status`). */
export const VEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

/** One VEX statement, read from OpenVEX or CycloneDX VEX into the same shape. */
export interface VexStatement {
  /** The vulnerability's main id (OpenVEX `vulnerability.name`, CycloneDX `vulnerabilities[].id`). */
  vulnerability: string;
  /** Other names (OpenVEX `aliases`, CycloneDX `references[].id`). */
  aliases: string[];
  /** Package URLs the statement is about: products and their subcomponents. */
  purls: string[];
  status: VexStatus;
  /** The format's own justification label, as written. */
  justification?: string;
  /** Free text: OpenVEX impact_statement, CycloneDX analysis.detail. */
  detail?: string;
  /** When the statement was known true (its own timestamp, else the document's). */
  timestamp?: string;
  /** Position in the document, for reports and for ordering statements of equal time. */
  index: number;
}

/** Statuses that mean the finding does not apply to the shipped package. */
export function suppresses(status: VexStatus): boolean {
  return status === 'not_affected' || status === 'fixed';
}
