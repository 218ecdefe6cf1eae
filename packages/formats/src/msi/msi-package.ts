import { FactoryError } from '@packaging-factory/core';
import { DEFAULT_COMPOUND_FILE_LIMITS, withCompoundFile, type CompoundFileLimits } from './compound-file.ts';
import { DEFAULT_MSI_DATABASE_LIMITS, MsiDatabase, type MsiDatabaseLimits } from './msi-database.ts';
import { SUMMARY_INFORMATION_STREAM, parseSummaryInformation, type MsiSummaryInformation } from './summary-information.ts';

/** What identifies a Windows Installer package: its Property table and summary information. */
export interface MsiPackage {
  /** Every row of the Property table, name → value, sorted by name. */
  properties: Record<string, string>;
  /** ProductName, ProductVersion, Manufacturer, ProductCode, UpgradeCode, ProductLanguage when set. */
  productName?: string;
  productVersion?: string;
  manufacturer?: string;
  productCode?: string;
  upgradeCode?: string;
  productLanguage?: string;
  /** Absent when the package has no summary stream (Windows refuses to install such a package). */
  summary?: MsiSummaryInformation;
  /** The database code page. */
  codePage: number;
  /** Tables the database holds, sorted. */
  tables: string[];
}

export interface MsiReadLimits {
  compoundFile: CompoundFileLimits;
  database: MsiDatabaseLimits;
}

export const DEFAULT_MSI_READ_LIMITS: MsiReadLimits = { compoundFile: DEFAULT_COMPOUND_FILE_LIMITS, database: DEFAULT_MSI_DATABASE_LIMITS };

/** Reads an .msi's Property table and SummaryInformation stream, without loading the file. */
export async function readMsiPackage(file: string, limits: MsiReadLimits = DEFAULT_MSI_READ_LIMITS): Promise<MsiPackage> {
  return withCompoundFile(
    file,
    async (cfb) => {
      const db = await MsiDatabase.open(cfb, limits.database);
      const schema = db.schema('Property');
      if (schema === undefined) {
        throw new FactoryError('ARCHIVE_CORRUPT', `${file} has no Property table, which every Windows Installer package carries`, {
          subject: file,
          hint: 'merge modules (.msm) and patches (.msp) are not installation packages; give the .msi itself',
        });
      }
      const nameIndex = schema.columns.findIndex((c) => c.name === 'Property');
      const valueIndex = schema.columns.findIndex((c) => c.name === 'Value');
      if (nameIndex < 0 || valueIndex < 0) {
        throw new FactoryError('ARCHIVE_CORRUPT', `${file}: the Property table lacks its Property or Value column`, { subject: file });
      }
      const properties: Record<string, string> = {};
      const rows = (await db.rows('Property')).map((row) => [row[nameIndex], row[valueIndex]] as const);
      rows.sort(([a], [b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
      for (const [name, value] of rows) {
        if (typeof name === 'string' && name !== '') properties[name] = value === null ? '' : String(value);
      }
      const pkg: MsiPackage = { properties, codePage: db.codePage, tables: db.tableNames() };
      const fields = [
        ['productName', 'ProductName'],
        ['productVersion', 'ProductVersion'],
        ['manufacturer', 'Manufacturer'],
        ['productCode', 'ProductCode'],
        ['upgradeCode', 'UpgradeCode'],
        ['productLanguage', 'ProductLanguage'],
      ] as const;
      for (const [key, property] of fields) {
        const value = properties[property];
        if (value !== undefined && value !== '') pkg[key] = value;
      }
      const summary = cfb.stream(SUMMARY_INFORMATION_STREAM);
      if (summary !== undefined) pkg.summary = parseSummaryInformation(await cfb.read(summary), file);
      return pkg;
    },
    limits.compoundFile,
  );
}
