import { describeError, ERROR_CODES, exitCodeFor, FactoryError, isFactoryError } from '@packaging-factory/core';

describe('FactoryError', () => {
  it('takes its kind and exit code from the code: a gate says no with 1, input problems exit 2', () => {
    const gate = new FactoryError('SCAN_BLOCKED', 'CVE-2024-0001 is critical', { subject: 'app.deb', hint: 'upgrade openssl' });
    expect(gate).toBeInstanceOf(Error);
    expect(gate.name).toBe('FactoryError');
    expect(gate.kind).toBe('gate');
    expect(gate.exitCode).toBe(1);
    expect(gate.subject).toBe('app.deb');
    expect(gate.hint).toBe('upgrade openssl');
    const input = new FactoryError('INPUT_INVALID', 'bad');
    expect(input.exitCode).toBe(2);
    expect(input.cause).toBeUndefined();
    expect(isFactoryError(input)).toBe(true);
    expect(isFactoryError(new Error('x'))).toBe(false);
    expect(exitCodeFor(gate)).toBe(1);
    expect(exitCodeFor(new TypeError('bug'))).toBe(2);
  });

  it('every code is a gate or an input code', () => {
    for (const kind of Object.values(ERROR_CODES)) expect(['gate', 'input']).toContain(kind);
  });

  it('describes the cause chain, outermost first, and stops on cycles', () => {
    const root = new Error('ECONNRESET');
    const middle = new FactoryError('NETWORK_FAILED', 'download failed', { cause: root, hint: 'retry later' });
    const top = new FactoryError('SCAN_DB_UNAVAILABLE', 'no OSV database', { cause: middle });
    expect(describeError(top)).toEqual([
      'SCAN_DB_UNAVAILABLE: no OSV database',
      'NETWORK_FAILED: download failed (retry later)',
      'ECONNRESET',
    ]);
    expect(describeError(new Error('outer', { cause: { status: 500 } }))).toEqual(['outer', '{"status":500}']);
    expect(describeError('a string')).toEqual(['a string']);
    const loop = new Error('loop');
    (loop as { cause?: unknown }).cause = loop;
    expect(describeError(loop)).toEqual(['loop']);
    expect(describeError(undefined)).toEqual([]);
  });
});
