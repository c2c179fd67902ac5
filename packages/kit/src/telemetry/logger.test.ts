import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { readServiceConfig } from '../service/config.ts';
import { createLogger, scrubCredentials } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger('secrets-test', 'debug', destination) };
}

const SECRETS = ['hunter2-bus', 'hunter2-store', 'pg-s3cret', 'admin-key-123', 'bearer-tok', 'cookie-val', 'plain-pw', 'internal-key-456'];

it('never writes a secret: redacted keys at any depth, and URL credentials anywhere in a line', async () => {
  const { lines, logger } = capture();
  const config = readServiceConfig('secrets-test', {
    BUS_REDIS_URL: 'redis://:hunter2-bus@10.0.0.1:6379',
    STORE_REDIS_URL: 'rediss://default:hunter2-store@cache.example:6380/0',
    DATABASE_URL: 'postgres://app:pg-s3cret@db.example:5432/shop',
  });
  logger.info({ config }, 'starting');
  logger.info(config, 'flat config');
  logger.info({ request: { headers: { authorization: 'Bearer bearer-tok', 'x-api-key': 'admin-key-123', 'x-internal-key': 'internal-key-456', cookie: 'sid=cookie-val' } } }, 'request');
  logger.info({ user: { password: 'plain-pw' }, settings: { adminApiKey: 'admin-key-123' } }, 'nested');
  logger.error({ err: new Error('connect ECONNREFUSED redis://:hunter2-bus@10.0.0.1:6379') }, 'library error text');
  logger.warn('message text mentioning postgres://app:pg-s3cret@db.example:5432/shop');
  await new Promise((resolve) => setImmediate(resolve));

  const output = lines.join('\n');
  expect(lines.length).toBe(6);
  for (const secret of SECRETS) expect(output, secret).not.toContain(secret);
  // What is not secret stays readable.
  expect(output).toContain('10.0.0.1:6379');
  expect(output).toContain('db.example:5432/shop');
  expect(output).toContain('ECONNREFUSED');
});

it('scrubs only the password part of a URL', () => {
  expect(scrubCredentials('redis://user:pw@host:1 and https://example.com/a@b')).toBe('redis://user:[redacted]@host:1 and https://example.com/a@b');
});

it('a line logged inside withCorrelation carries the correlation id, and only there (tracing on: it rides on its context)', async () => {
  const { lines, logger } = capture();
  const { withCorrelation } = await import('./correlation.ts');
  const { initTracing } = await import('./tracing.ts');
  initTracing({ service: 'logger-test', sampleRatio: 0 });
  await withCorrelation('order-42', async () => {
    await Promise.resolve();
    logger.info('inside a handler');
  });
  logger.info('outside');
  await new Promise((resolve) => setImmediate(resolve));
  const [inside, outside] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(inside).toMatchObject({ msg: 'inside a handler', correlationId: 'order-42' });
  expect(outside?.correlationId).toBeUndefined();
});

it('writes to the descriptor in TRIBUTARY_LOG_FD when set (a service thread of the service host has no stdout of its own)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-log-fd-'));
  const file = join(dir, 'service.log');
  const fd = openSync(file, 'a');
  const before = process.env.TRIBUTARY_LOG_FD;
  process.env.TRIBUTARY_LOG_FD = String(fd);
  try {
    createLogger('fd-test').info({ secret: 'redis://:pw@h:1' }, 'to the file');
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as { service: string; msg: string; secret: string };
    expect(line).toMatchObject({ service: 'fd-test', msg: 'to the file', secret: 'redis://:[redacted]@h:1' });
  } finally {
    if (before === undefined) delete process.env.TRIBUTARY_LOG_FD;
    else process.env.TRIBUTARY_LOG_FD = before;
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
