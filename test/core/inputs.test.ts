import path from 'node:path';
import { FactoryError, InputReader, type InputSpec } from '@packaging-factory/core';

const SPECS: Record<string, InputSpec> = {
  paths: { description: 'Artifacts to describe', kind: 'paths', required: true },
  'fail-on': { description: 'Lowest severity that fails', kind: 'choice', choices: ['low', 'medium', 'high', 'critical'], default: 'high' },
  format: { description: 'SBOM format', kind: 'choice', choices: ['cyclonedx', 'spdx'] },
  offline: { description: 'Never use the network', kind: 'boolean', default: 'false' },
  strict: { description: 'Fail on warnings', kind: 'boolean' },
  output: { description: 'Where to write', kind: 'path', default: 'out/sbom.json' },
  config: { description: 'Config file', kind: 'path' },
  'timeout-seconds': { description: 'Timeout', kind: 'number' },
  token: { description: 'Token', kind: 'secret' },
  name: { description: 'Release name', kind: 'string', required: true },
};

const reader = (raw: Record<string, string | undefined>): InputReader => new InputReader(raw, SPECS, '/work/repo');

function caught(fn: () => unknown): FactoryError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FactoryError);
    return error as FactoryError;
  }
  throw new Error('expected a FactoryError');
}

describe('InputReader', () => {
  it('reads lists one per line or comma separated, dropping blanks', () => {
    expect(reader({ paths: ' a.deb\r\nb.rpm, c.apk ,\n\n d.msi ' }).list('paths')).toEqual(['a.deb', 'b.rpm', 'c.apk', 'd.msi']);
    expect(reader({}).list('paths')).toEqual([]);
    expect(reader({ paths: 'x' }).requiredList('paths')).toEqual(['x']);
  });

  it('requires a required list to have at least one item, naming the input', () => {
    for (const raw of [{}, { paths: '' }, { paths: ' , \n ,' }]) {
      const error = caught(() => reader(raw).requiredList('paths'));
      expect(error).toMatchObject({ code: 'INPUT_MISSING', subject: 'paths' });
      expect(error.message).toBe("input 'paths' is required: Artifacts to describe");
    }
  });

  it('reads booleans as YAML 1.2 core booleans, with defaults, and names a bad value', () => {
    for (const value of ['true', 'True', 'TRUE', ' true ']) expect(reader({ strict: value }).boolean('strict')).toBe(true);
    for (const value of ['false', 'False', 'FALSE']) expect(reader({ strict: value }).boolean('strict')).toBe(false);
    expect(reader({}).boolean('strict')).toBe(false);
    expect(reader({ offline: '' }).boolean('offline')).toBe(false);
    const error = caught(() => reader({ offline: 'yes' }).boolean('offline'));
    expect(error).toMatchObject({ code: 'INPUT_INVALID', subject: 'offline', message: "input 'offline' must be true or false, got 'yes'" });
  });

  it('reads choices against the declared values, falling back to the default', () => {
    expect(reader({}).choice('fail-on')).toBe('high');
    expect(reader({ 'fail-on': 'critical' }).choice<'critical'>('fail-on')).toBe('critical');
    const error = caught(() => reader({ 'fail-on': 'severe' }).choice('fail-on'));
    expect(error).toMatchObject({ code: 'INPUT_INVALID', subject: 'fail-on' });
    expect(error.message).toBe("input 'fail-on' must be one of low, medium, high, critical; got 'severe'");
    expect(caught(() => reader({}).choice('format'))).toMatchObject({ code: 'INPUT_MISSING', subject: 'format' });
  });

  it('reads strings, paths and numbers', () => {
    const r = reader({ name: ' v1.2.3 ', config: 'cfg/factory.yml', 'timeout-seconds': '90', token: 'abc' });
    expect(r.string('name')).toBe('v1.2.3');
    expect(r.optional('token')).toBe('abc');
    expect(reader({}).optional('token')).toBeUndefined();
    expect(r.path('output')).toBe(path.resolve('/work/repo', 'out/sbom.json'));
    expect(r.optionalPath('config')).toBe(path.resolve('/work/repo', 'cfg/factory.yml'));
    expect(reader({ config: '/abs/c.yml' }).path('config')).toBe('/abs/c.yml');
    expect(reader({}).optionalPath('config')).toBeUndefined();
    expect(r.number('timeout-seconds')).toBe(90);
    expect(reader({}).number('timeout-seconds')).toBeUndefined();
    expect(caught(() => reader({ 'timeout-seconds': 'ten' }).number('timeout-seconds'))).toMatchObject({
      code: 'INPUT_INVALID',
      subject: 'timeout-seconds',
      message: "input 'timeout-seconds' must be a number, got 'ten'",
    });
    expect(caught(() => reader({ name: '   ' }).string('name'))).toMatchObject({ code: 'INPUT_MISSING', subject: 'name' });
  });

  it('treats reading an undeclared input as a bug in the stage, not a user error', () => {
    expect(() => reader({ other: 'x' }).optional('other')).toThrow("bug: input 'other' is not declared by the stage");
    expect(() => reader({}).optional('other')).not.toThrow(FactoryError);
  });
});
