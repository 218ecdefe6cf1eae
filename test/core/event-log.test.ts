import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { EventLog, maskSecrets, MemoryLogger, type FactoryEvent } from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('factory-events-');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readEvents(file: string): Promise<FactoryEvent[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as FactoryEvent);
}

describe('EventLog', () => {
  it('writes one JSON line per event, each with the correlation id and the clock’s time', async () => {
    const file = path.join(dir, 'logs', 'events.jsonl');
    const log = new EventLog(file, 'run-42', () => new Date('2025-05-06T07:08:09.000Z'));
    log.emit({ level: 'info', event: 'stage.start', stage: 'scan' });
    log.emit({ level: 'debug', event: 'exec.start', data: { tool: 'gpg', args: ['--version'] } });
    log.emit({ level: 'error', event: 'stage.end', message: 'line one\nline two' });

    const events = await readEvents(file);
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event.correlationId).toBe('run-42');
      expect(event.ts).toBe('2025-05-06T07:08:09.000Z');
    }
    expect(events[0]).toEqual({
      ts: '2025-05-06T07:08:09.000Z',
      correlationId: 'run-42',
      level: 'info',
      event: 'stage.start',
      stage: 'scan',
    });
    expect(events[1]?.data).toEqual({ tool: 'gpg', args: ['--version'] });
    expect(events[2]?.message).toBe('line one\nline two');
  });

  it('masks secrets anywhere in a line, including their JSON-escaped form', async () => {
    const file = path.join(dir, 'events.jsonl');
    const log = new EventLog(file, 'run-1');
    const plain = 'ghp_0123456789abcdef';
    const quoted = 'pa"ss\\word\n';
    log.mask(plain);
    log.mask(quoted);
    log.mask(''); // ignored
    log.emit({ level: 'info', event: 'x', message: `token ${plain}`, data: { nested: { value: `Bearer ${plain}` }, password: quoted } });

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(plain);
    expect(text).not.toContain('ss\\\\word');
    const [event] = await readEvents(file);
    expect(event?.message).toBe('token ***');
    expect(event?.data).toEqual({ nested: { value: 'Bearer ***' }, password: '***' });
  });

  it('without a file it writes nothing', () => {
    const log = new EventLog(undefined, 'run-1');
    expect(() => log.emit({ level: 'info', event: 'x' })).not.toThrow();
    expect(log.file).toBeUndefined();
  });
});

describe('maskSecrets and MemoryLogger', () => {
  it('masks the longest secret first and leaves values under 3 characters alone', () => {
    expect(maskSecrets('abc-abcdef-abcdefgh', ['abc', 'abcdefgh'])).toBe('***-***def-***');
    expect(maskSecrets('a=1 b=22', ['1', '22'])).toBe('a=1 b=22');
  });

  it('collects lines per level and registered secrets', () => {
    const logger = new MemoryLogger();
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.mask('');
    logger.mask('s3cret');
    expect(logger.lines.map((l) => l.level)).toEqual(['debug', 'info', 'warn', 'error']);
    expect(logger.text()).toBe('debug: d\ninfo: i\nwarn: w\nerror: e');
    expect([...logger.secrets]).toEqual(['s3cret']);
  });
});
