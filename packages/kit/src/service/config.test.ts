import { describe, expect, it } from 'vitest';
import { TributaryError } from '../errors.ts';
import { handledMarkerTtlSeconds, readServiceConfig } from './config.ts';

const base = { BUS_REDIS_URL: 'redis://127.0.0.1:6390', TRIBUTARY_DATA_DIR: '/tmp/data' };

function configError(env: NodeJS.ProcessEnv): TributaryError {
  try {
    readServiceConfig('ordering', env);
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('readServiceConfig', () => {
  it('reads connection strings, the per-service ones first, and gives a shared server one schema per service', () => {
    const config = readServiceConfig('ordering', {
      ...base,
      ORDERING_STORE_REDIS_URL: 'rediss://user:pw@redis.example:6380',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/shop',
      ORDERING_PORT: '4100',
    });
    expect(config).toMatchObject({ busRedisUrl: base.BUS_REDIS_URL, storeRedisUrl: 'rediss://user:pw@redis.example:6380', port: 4100 });
    expect(new URL(config.databaseUrl).searchParams.get('schema')).toBe('ordering');
    expect(readServiceConfig('ordering', base).databaseUrl).toBe('pglite:///tmp/data/pg/ordering');
  });

  it('reads the Redis password files, the per-service ones first; the store shares the bus file only when it shares the bus', () => {
    expect(readServiceConfig('ordering', { ...base, BUS_REDIS_PASSWORD_FILE: '/s/bus', ORDERING_BUS_REDIS_PASSWORD_FILE: '/s/ordering-bus' })).toMatchObject({
      busRedisPasswordFile: '/s/ordering-bus',
      storeRedisPasswordFile: '/s/ordering-bus',
    });
    const apart = readServiceConfig('ordering', { ...base, STORE_REDIS_URL: 'redis://127.0.0.1:6391', ORDERING_BUS_REDIS_PASSWORD_FILE: '/s/bus' });
    expect(apart.busRedisPasswordFile).toBe('/s/bus');
    expect(apart.storeRedisPasswordFile).toBeUndefined();
    expect(readServiceConfig('ordering', base).busRedisPasswordFile).toBeUndefined();
  });

  it('accepts a primary found through Sentinel', () => {
    const url = 'redis+sentinel://app:s%40cret@10.0.0.1:26379,10.0.0.2:26379/mymaster';
    expect(readServiceConfig('ordering', { ...base, BUS_REDIS_URL: url }).busRedisUrl).toBe(url);
  });

  it('accepts a Redis Cluster named by some of its nodes', () => {
    const url = 'redis+cluster://app:s%40cret@10.0.0.1:7000,10.0.0.2:7000';
    expect(readServiceConfig('ordering', { ...base, STORE_REDIS_URL: url }).storeRedisUrl).toBe(url);
    // Over TLS: the store's TLS settings are read (and checked) for it as for a rediss:// URL.
    const tls = 'rediss+cluster://10.0.0.1:7000';
    expect(readServiceConfig('ordering', { ...base, STORE_REDIS_URL: tls, STORE_REDIS_TLS_SERVERNAME: 'redis.internal' })).toMatchObject({ storeRedisUrl: tls, storeRedisTls: { servername: 'redis.internal' } });
  });

  it('keeps consumed stream entries two minutes unless STREAM_RETENTION_MS says otherwise', () => {
    expect(readServiceConfig('ordering', base).streamRetentionMs).toBe(120_000);
    expect(readServiceConfig('ordering', { ...base, STREAM_RETENTION_MS: '0' }).streamRetentionMs).toBe(0);
    expect(readServiceConfig('ordering', { ...base, STREAM_RETENTION_MS: '600000', ORDERING_STREAM_RETENTION_MS: '5000' }).streamRetentionMs).toBe(5_000);
  });

  it('keeps handled markers seven days and idempotency keys a day unless told otherwise', () => {
    expect(readServiceConfig('ordering', base)).toMatchObject({ handledMarkerRetentionMs: 7 * 86_400_000, idempotencyKeyRetentionMs: 86_400_000 });
    expect(readServiceConfig('ordering', { ...base, HANDLED_MARKER_RETENTION_MS: '3600000', ORDERING_IDEMPOTENCY_KEY_RETENTION_MS: '60000' }))
      .toMatchObject({ handledMarkerRetentionMs: 3_600_000, idempotencyKeyRetentionMs: 60_000 });
  });

  it.each([
    [{ HANDLED_MARKER_RETENTION_MS: '120000' }, 'HANDLED_MARKER_RETENTION_MS (120000) must be longer than STREAM_RETENTION_MS (120000)'],
    [{ ORDERING_HANDLED_MARKER_RETENTION_MS: '1h' }, 'ORDERING_HANDLED_MARKER_RETENTION_MS must be a whole number'],
    [{ IDEMPOTENCY_KEY_RETENTION_MS: '-5' }, 'IDEMPOTENCY_KEY_RETENTION_MS must be a whole number'],
    [{ BUS_REDIS_URL: 'redis+cluster://127.0.0.1:7000,127.0.0.1' }, 'BUS_REDIS_URL names the node "127.0.0.1", expected host:port'],
    [{ STORE_REDIS_URL: 'redis+cluster://127.0.0.1:7000/0' }, 'STORE_REDIS_URL is not of the form redis+cluster://'],
    [{ BUS_REDIS_URL: 'redis+sentinel://127.0.0.1:26379' }, 'BUS_REDIS_URL is not of the form redis+sentinel://'],
    [{ STORE_REDIS_URL: 'redis+sentinel://127.0.0.1:26379,127.0.0.1/mymaster' }, 'STORE_REDIS_URL names the Sentinel "127.0.0.1", expected host:port'],
    [{ ORDERING_BUS_REDIS_URL: 'not a url' }, 'ORDERING_BUS_REDIS_URL is not a URL'],
    [{ STORE_REDIS_URL: 'http://127.0.0.1:6379' }, 'STORE_REDIS_URL has the scheme http:'],
    [{ DATABASE_URL: 'mysql://127.0.0.1/shop' }, 'DATABASE_URL has the scheme mysql:'],
    [{ ORDERING_DATABASE_URL: 'sqlite:///tmp/x' }, 'ORDERING_DATABASE_URL has the scheme sqlite:'],
    [{ ORDERING_PORT: 'eighty' }, 'ORDERING_PORT must be a port number'],
    [{ PORT: '70000' }, 'PORT must be a port number'],
    [{ STREAM_RETENTION_MS: '2 minutes' }, 'STREAM_RETENTION_MS must be a whole number of milliseconds'],
    [{ ORDERING_STREAM_RETENTION_MS: '-1' }, 'ORDERING_STREAM_RETENTION_MS must be a whole number'],
  ])('refuses %o naming the setting', (overrides, message) => {
    const error = configError({ ...base, ...overrides });
    expect(error.code).toBe('TRIB_INVALID_CONFIG');
    expect(error.message).toContain(message);
  });

  it('says so when the bus is not set at all', () => {
    expect(configError({}).message).toContain('BUS_REDIS_URL is not set');
  });
});

describe('handledMarkerTtlSeconds', () => {
  it('is the retention in whole seconds, rounded up so no marker goes before its window', () => {
    expect(handledMarkerTtlSeconds({ handledMarkerRetentionMs: 604_800_000 })).toBe(604_800);
    expect(handledMarkerTtlSeconds({ handledMarkerRetentionMs: 180_001 })).toBe(181);
  });
});
