import type { SbomComponent, SbomEcosystem } from './catalog/sbom-component.ts';
import { SBOM_ECOSYSTEMS } from './catalog/sbom-component.ts';

/** How the job summary names each ecosystem. */
export const ECOSYSTEM_LABELS: Record<SbomEcosystem, string> = {
  npm: 'npm packages',
  pypi: 'Python packages',
  deb: 'Debian packages',
  rpm: 'RPM packages',
  apk: 'Alpine packages',
  android: 'Android apps',
  windows: 'Windows installers and app packages',
  macos: 'macOS installer packages',
  file: 'Files',
};

const DECLARED_ONLY = 'packaging-factory:declared-only';
const DEB_DECLARED_ONLY = 'packaging-factory:deb:declared-only';

function isDeclaredOnly(component: SbomComponent): boolean {
  return component.properties.some(([name, value]) => (name === DECLARED_ONLY || name === DEB_DECLARED_ONLY) && value === 'true');
}

function visit(components: readonly SbomComponent[], each: (c: SbomComponent) => void): void {
  for (const component of components) {
    each(component);
    visit(component.children, each);
  }
}

export interface ComponentCounts {
  /** Shipped (catalogued) components per ecosystem, nested ones included. */
  byEcosystem: Record<SbomEcosystem, number>;
  /** Dependencies a package declares that none of the inputs ships (placeholders in the SBOM). */
  declaredOnly: number;
  /** Packages (not files) per declared license text; '' for none declared. */
  byLicense: Map<string, number>;
  /** Every component in the SBOM. */
  total: number;
}

export function countComponents(components: readonly SbomComponent[]): ComponentCounts {
  const byEcosystem = Object.fromEntries(SBOM_ECOSYSTEMS.map((e) => [e, 0])) as Record<SbomEcosystem, number>;
  const byLicense = new Map<string, number>();
  let declaredOnly = 0;
  let total = 0;
  visit(components, (component) => {
    total += 1;
    if (isDeclaredOnly(component)) {
      declaredOnly += 1;
      return;
    }
    byEcosystem[component.ecosystem] += 1;
    if (component.ecosystem === 'file') return;
    const key = [...new Set(component.licenses)].sort().join(' AND ');
    byLicense.set(key, (byLicense.get(key) ?? 0) + 1);
  });
  return { byEcosystem, declaredOnly, byLicense, total };
}

export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

const LICENSE_ROWS = 15;

/** Markdown tables: components per ecosystem, then per license (most common first). */
export function countTables(counts: ComponentCounts): string[] {
  const lines = ['| Ecosystem | Components |', '|---|---|'];
  for (const ecosystem of SBOM_ECOSYSTEMS) {
    const n = counts.byEcosystem[ecosystem];
    if (n > 0) lines.push(`| ${ECOSYSTEM_LABELS[ecosystem]} | ${n} |`);
  }
  if (counts.declaredOnly > 0) lines.push(`| Declared dependencies no input ships | ${counts.declaredOnly} |`);
  lines.push(`| **Total** | **${counts.total}** |`, '');
  if (counts.byLicense.size > 0) {
    const rows = [...counts.byLicense.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    lines.push('| License (as declared) | Packages |', '|---|---|');
    for (const [license, n] of rows.slice(0, LICENSE_ROWS)) lines.push(`| ${license === '' ? '_none declared_' : cell(license)} | ${n} |`);
    if (rows.length > LICENSE_ROWS) {
      const rest = rows.slice(LICENSE_ROWS).reduce((sum, [, n]) => sum + n, 0);
      lines.push(`| _${rows.length - LICENSE_ROWS} other licenses_ | ${rest} |`);
    }
    lines.push('');
  }
  return lines;
}

/** The files the catalogers could not read, with why. */
export function unreadableTable(unreadable: readonly { file: string; reason: string }[]): string[] {
  if (unreadable.length === 0) return [];
  return ['| Could not read | Why |', '|---|---|', ...unreadable.map((u) => `| ${cell(u.file)} | ${cell(u.reason)} |`), ''];
}
