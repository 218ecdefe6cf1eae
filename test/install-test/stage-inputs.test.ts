import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { parseDetectionCommand, testInstallStage } from '@packaging-factory/install-test';

const workDir = '/work/project';
const parse = (raw: Record<string, string>) => testInstallStage.parse(raw, { workDir, env: {} });

function parseError(raw: Record<string, string>): FactoryError {
  try {
    parse(raw);
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw error;
  }
  throw new Error('parse accepted the inputs');
}

describe('test-install inputs', () => {
  test('the stage declares exactly the assigned input and output names', () => {
    expect(Object.keys(testInstallStage.inputs).sort()).toEqual(
      [
        'command',
        'expect-files',
        'expect-name',
        'expect-output',
        'expect-version',
        'output-dir',
        'package',
        'sandbox',
        'timeout-seconds',
      ].sort(),
    );
    expect(Object.keys(testInstallStage.outputs).sort()).toEqual(['log', 'result']);
    expect(testInstallStage.name).toBe('test-install');
    expect(testInstallStage.positional).toBe('package');
    expect(testInstallStage.inputs['sandbox']?.choices).toEqual(['overlay']);
  });

  test('defaults: 300 s, factory-out/install-test, overlay sandbox, expectations from the package', () => {
    const options = parse({ package: 'dist/hello_1.0_all.deb' });
    expect(options).toEqual({
      packagePath: path.resolve(workDir, 'dist/hello_1.0_all.deb'),
      expectFiles: [],
      timeoutSeconds: 300,
      outputDir: path.resolve(workDir, 'factory-out/install-test'),
      sandbox: 'overlay',
    });
  });

  test('every input is read and typed', () => {
    const options = parse({
      package: '/abs/x.deb',
      'expect-name': 'hello-factory',
      'expect-version': '1:1.0.0~rc1-2',
      'expect-files': '/usr/bin/hello-factory\n/usr/lib/../lib/hello-factory/index.js, /usr/bin/hello-factory',
      command: 'hello-factory --version',
      'expect-output': '^1\\.0\\.0$',
      'timeout-seconds': '60',
      'output-dir': 'out',
      sandbox: 'overlay',
    });
    expect(options.packagePath).toBe('/abs/x.deb');
    expect(options.expectName).toBe('hello-factory');
    expect(options.expectVersion).toBe('1:1.0.0~rc1-2');
    expect(options.expectFiles).toEqual(['/usr/bin/hello-factory', '/usr/lib/hello-factory/index.js']);
    expect(options.command).toEqual(['hello-factory', '--version']);
    expect(options.expectOutput?.test('banner\n1.0.0\n')).toBe(true);
    expect(options.timeoutSeconds).toBe(60);
    expect(options.outputDir).toBe(path.resolve(workDir, 'out'));
  });

  test.each([
    [{ package: '' }, 'INPUT_MISSING', 'package'],
    [{ package: 'a.deb\nb.deb' }, 'INPUT_INVALID', 'package'],
    [{ package: 'a.deb', sandbox: 'docker' }, 'INPUT_INVALID', 'sandbox'],
    [{ package: 'a.deb', 'expect-files': 'usr/bin/hello' }, 'INPUT_INVALID', 'expect-files'],
    [{ package: 'a.deb', 'expect-name': '--purge' }, 'INPUT_INVALID', 'expect-name'],
    [{ package: 'a.deb', 'expect-version': '--force-all' }, 'INPUT_INVALID', 'expect-version'],
    [{ package: 'a.deb', 'expect-output': 'x' }, 'INPUT_INVALID', 'expect-output'],
    [{ package: 'a.deb', command: 'x', 'expect-output': '(' }, 'INPUT_INVALID', 'expect-output'],
    [{ package: 'a.deb', 'timeout-seconds': '0' }, 'INPUT_INVALID', 'timeout-seconds'],
    [{ package: 'a.deb', 'timeout-seconds': 'soon' }, 'INPUT_INVALID', 'timeout-seconds'],
    [{ package: 'a.deb', command: 'hello | grep 1' }, 'INPUT_INVALID', 'command'],
  ])('%j is refused with %s naming %s', (raw, code, subject) => {
    const error = parseError(raw);
    expect([error.code, error.subject]).toEqual([code, subject]);
    expect(error.exitCode).toBe(2);
  });
});

describe('the command input', () => {
  test('a JSON array is taken as argv verbatim, spaces and quotes included', () => {
    expect(parseDetectionCommand('["sh","-c","echo \'a b\' | wc -w"]')).toEqual(['sh', '-c', "echo 'a b' | wc -w"]);
  });

  test('a simple command is split on whitespace', () => {
    expect(parseDetectionCommand('  hello-factory   --version\t--json ')).toEqual(['hello-factory', '--version', '--json']);
  });

  test.each([['hello "a b"'], ['hello $HOME'], ['hello > /tmp/x'], ['hello; reboot'], ['hello `id`'], ['ls *']])(
    'shell syntax in a simple command is refused: %s',
    (text) => {
      expect(() => parseDetectionCommand(text)).toThrow(/shell syntax/);
    },
  );

  test.each([['[]'], ['["a", 1]'], ['[""]'], ['[not json'], ['{"a":1}']])('a bad JSON command is refused: %s', (text) => {
    expect(() => parseDetectionCommand(text)).toThrow(FactoryError);
  });
});
