import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared external fixtures, read in place (CI has ../shared beside the checkout). */
export const FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures');

export interface Comparison {
  line: number;
  text: string;
  a: string;
  op: '<' | '=' | '>';
  b: string;
}

/** Reads a version-compare fixture: `<a> <op> <b>` per line; blank, `# ` and `// ` lines skipped (README). */
export function readComparisons(file: string): Comparison[] {
  const lines = readFileSync(path.join(FIXTURES, 'version-compare', file), 'utf8').split('\n');
  const comparisons: Comparison[] = [];
  lines.forEach((raw, index) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('# ') || text.startsWith('// ')) return;
    const parts = text.split(' ');
    if (parts.length !== 3 || !['<', '=', '>'].includes(parts[1]!)) throw new Error(`${file}:${index + 1}: unreadable line '${text}'`);
    comparisons.push({ line: index + 1, text, a: parts[0]!, op: parts[1] as Comparison['op'], b: parts[2]! });
  });
  return comparisons;
}

/** Runs every comparison both ways; returns the lines that failed (with the reason). */
export function checkComparisons(comparisons: readonly Comparison[], compare: (a: string, b: string) => number): string[] {
  const expected = { '<': -1, '=': 0, '>': 1 } as const;
  const failures: string[] = [];
  for (const c of comparisons) {
    try {
      const forward = Math.sign(compare(c.a, c.b));
      const backward = Math.sign(compare(c.b, c.a));
      if (forward !== expected[c.op] || backward !== -expected[c.op]) failures.push(`${c.line}: ${c.text} (got ${forward}/${backward})`);
    } catch (error) {
      failures.push(`${c.line}: ${c.text} (${(error as Error).message})`);
    }
  }
  return failures;
}

/** One query of ../shared/fixtures/osv-matching/queries.json and the record ids it must match. */
export interface MatchingCase {
  id: string;
  ecosystem: string;
  name: string;
  version: string;
  expected_ids: string[];
}

/** The osv-matching queries, in file order. */
export function readMatchingCases(): MatchingCase[] {
  return (JSON.parse(readFileSync(path.join(FIXTURES, 'osv-matching', 'queries.json'), 'utf8')) as { cases: MatchingCase[] }).cases;
}
