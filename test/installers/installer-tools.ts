import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Test plumbing for the installer catalogers: the real tools that build and read MSIs (msitools:
 * wixl, msibuild, msiinfo) and xar archives (libarchive's bsdtar), and parsers for their output.
 * In CI a missing tool fails the suite (TESTING.md); elsewhere it is skipped with a message.
 */

export const run = promisify(execFile);

async function has(tool: string): Promise<boolean> {
  try {
    await run(tool, ['--version']);
    return true;
  } catch (error) {
    // msibuild exits 1 on --version: only "not found" means missing.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export async function requireTools(tools: readonly string[], apt: string): Promise<boolean> {
  const missing: string[] = [];
  for (const tool of tools) if (!(await has(tool))) missing.push(tool);
  if (missing.length === 0) return true;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(`${missing.join(', ')} not installed but CI is set: apt-get install ${apt}`);
  }
  console.warn(`SKIPPED: ${missing.join(', ')} not installed; these tests need them (apt-get install ${apt})`);
  return false;
}

/** `msiinfo export FILE TABLE`: column names, definitions ('s72'), key columns and rows, as printed. */
export interface MsiinfoTable {
  columns: string[];
  definitions: string[];
  keys: string[];
  rows: string[][];
}

export async function msiinfoExport(file: string, table: string): Promise<MsiinfoTable> {
  const { stdout } = await run('msiinfo', ['export', file, table], { maxBuffer: 256 * 1024 * 1024 });
  const lines = stdout.split('\r\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const [columns = '', definitions = '', keys = '', ...rows] = lines;
  return {
    columns: columns.split('\t'),
    definitions: definitions.split('\t'),
    keys: keys.split('\t').slice(1),
    rows: rows.map((r) => r.split('\t')),
  };
}

/** `msiinfo tables FILE`, without the virtual ones libmsi adds (_SummaryInformation, _ForceCodepage...). */
export async function msiinfoTables(file: string): Promise<string[]> {
  const { stdout } = await run('msiinfo', ['tables', file]);
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('_'))
    .sort();
}

/** `msiinfo suminfo FILE` as label → value. */
export async function msiinfoSuminfo(file: string): Promise<Map<string, string>> {
  const { stdout } = await run('msiinfo', ['suminfo', file]);
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 2));
  }
  return out;
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface WxsProduct {
  name: string;
  version: string;
  manufacturer: string;
  productCode: string;
  upgradeCode: string;
  language?: number;
  description?: string;
  comments?: string;
  properties?: Record<string, string>;
  /** A file installed by the product, so the package carries a cabinet. */
  file: string;
}

/** A minimal WiX 3 source: one directory, one component with one file, one feature. */
export function wxs(product: WxsProduct): string {
  const properties = Object.entries(product.properties ?? {})
    .map(([id, value]) => `    <Property Id="${xmlEscape(id)}" Value="${xmlEscape(value)}"/>`)
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="${product.productCode}" Name="${xmlEscape(product.name)}" Language="${product.language ?? 1033}" Version="${product.version}" Manufacturer="${xmlEscape(product.manufacturer)}" UpgradeCode="${product.upgradeCode}">
    <Package InstallerVersion="200" Compressed="yes" Description="${xmlEscape(product.description ?? product.name)}" Comments="${xmlEscape(product.comments ?? '')}"/>
    <Media Id="1" Cabinet="product.cab" EmbedCab="yes"/>
${properties}
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="Product">
          <Component Id="MainFile" Guid="${product.productCode.replace(/^\{|\}$/g, '').replace(/^..../, 'C0DE')}">
            <File Id="payload" Name="payload.txt" Source="${xmlEscape(product.file)}"/>
            <RegistryValue Root="HKLM" Key="Software\\Test" Name="Version" Type="string" Value="${product.version}"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="MainFile"/></Feature>
  </Product>
</Wix>
`;
}
