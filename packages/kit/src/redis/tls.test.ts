import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServiceConfig } from '../service/config.ts';
import { createConsumer } from '../streams/consumer.ts';
import { createPublisher } from '../streams/publisher.ts';
import { orderPlaced } from '../streams/test-fixtures/harness-events.ts';
import { startRedisServer, type RedisServer } from '../testing/redis-server.ts';
import { generateTlsCertificates, type TlsCertificates } from '../testing/tls-certificates.ts';
import { waitFor } from '../testing/wait-for.ts';
import { connectRedis, redactUrl, type RedisClient } from './client.ts';
import { redisTlsFromEnv } from './tls.ts';

describe('rediss:// with mutual TLS', () => {
  let dir: string;
  let certs: TlsCertificates;
  let server: RedisServer;
  const clients: RedisClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-tls-'));
    certs = await generateTlsCertificates(join(dir, 'tls'));
    server = await startRedisServer({ password: 'tls-secret', tls: { caFile: certs.caFile, certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } });
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) if (client.isOpen) client.destroy();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a client with the CA and a client certificate connects and round-trips a publish and a consume', async () => {
    expect(server.authenticatedUrl).toMatch(/^rediss:\/\//);
    const redis = await connectRedis(server.authenticatedUrl, { name: 'tls-test', tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } });
    clients.push(redis);
    const service = 'tls-shop';
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis, service });
    const handled: string[] = [];
    const consumer = createConsumer({ redis, stream: publisher.stream, group: 'billing', consumer: 'billing-1', blockMs: 200 }).on(placed, async (event) => {
      handled.push(event.data.orderId);
    });
    await consumer.start();
    try {
      for (let n = 0; n < 20; n++) await publisher.publish(placed, { n, orderId: `order-${n}` });
      await waitFor(() => handled.length === 20, { timeoutMs: 20_000, description: 'every event consumed over TLS' });
      expect(handled).toEqual(Array.from({ length: 20 }, (_, n) => `order-${n}`));
    } finally {
      await consumer.close();
    }
  });

  it('a client without a client certificate is refused, at once and saying why', async () => {
    // No failFast: a refused handshake ends connect() before the first connection as bad credentials do, instead of retrying for ever.
    await expect(connectRedis(server.authenticatedUrl, { tls: { caFile: certs.caFile } })).rejects.toThrow(/certificate required/i);
  });

  it('a server whose certificate does not chain to a trusted CA is refused', async () => {
    // No CA given: the system's CAs, which do not know this private CA.
    await expect(connectRedis(server.authenticatedUrl, { tls: { certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } })).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('the password of a rediss:// URL is never shown', () => {
    expect(redactUrl(server.authenticatedUrl)).not.toContain('tls-secret');
    expect(redactUrl('rediss://app:s3cret@redis.example.com:6380/0')).toBe('rediss://app:***@redis.example.com:6380/0');
  });
});

describe('TLS settings', () => {
  const certs = { ca: '/etc/tributary/ca.pem', cert: '/etc/tributary/client.pem', key: '/etc/tributary/client.key' };

  it('per service > per role > shared, item by item', () => {
    const env = {
      REDIS_TLS_CA_FILE: certs.ca,
      REDIS_TLS_CERT_FILE: certs.cert,
      REDIS_TLS_KEY_FILE: certs.key,
      STORE_REDIS_TLS_CA_FILE: '/store-ca.pem',
      BASKET_STORE_REDIS_TLS_KEY_FILE: '/basket.key',
    };
    expect(redisTlsFromEnv(env, 'bus', 'basket')).toMatchObject({ caFile: certs.ca, certFile: certs.cert, keyFile: certs.key });
    expect(redisTlsFromEnv(env, 'store', 'basket')).toEqual({
      caFile: '/store-ca.pem',
      certFile: certs.cert,
      keyFile: '/basket.key',
      variables: { caFile: 'STORE_REDIS_TLS_CA_FILE', certFile: 'REDIS_TLS_CERT_FILE', keyFile: 'BASKET_STORE_REDIS_TLS_KEY_FILE' },
    });
    expect(redisTlsFromEnv({}, 'bus')).toBeUndefined();
  });

  it('an unreadable file stops a rediss:// service with TRIB_INVALID_CONFIG naming the setting; a redis:// one does not read it', () => {
    const env = { BUS_REDIS_URL: 'rediss://bus.example.com:6380', STORE_REDIS_URL: 'redis://store.example.com:6379', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' };
    expect(() => readServiceConfig('basket', env)).toThrow(expect.objectContaining({ code: 'TRIB_INVALID_CONFIG', message: expect.stringMatching(/REDIS_TLS_CA_FILE: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/) }));
    const plain = readServiceConfig('basket', { ...env, BUS_REDIS_URL: 'redis://bus.example.com:6379' });
    expect(plain.busRedisTls).toBeUndefined();
    expect(plain.storeRedisTls).toBeUndefined();
  });

  it('a PostgreSQL URL whose sslrootcert cannot be read is a configuration error; sslmode and the rest pass through', () => {
    const env = { BUS_REDIS_URL: 'redis://bus.example.com:6379', DATABASE_URL: 'postgres://app@db.example.com/tributary?sslmode=verify-full&sslrootcert=/nonexistent/pg-ca.pem' };
    expect(() => readServiceConfig('accounts', env)).toThrow(expect.objectContaining({ code: 'TRIB_INVALID_CONFIG', message: expect.stringMatching(/DATABASE_URL: sslrootcert \/nonexistent\/pg-ca\.pem cannot be read \(ENOENT\)/) }));
    const readable = readServiceConfig('accounts', { ...env, DATABASE_URL: `postgres://app@db.example.com/tributary?sslmode=verify-full&sslrootcert=${encodeURIComponent(import.meta.filename)}` });
    const url = new URL(readable.databaseUrl);
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(url.searchParams.get('sslrootcert')).toBe(import.meta.filename);
    expect(url.searchParams.get('schema')).toBe('accounts');
  });

  it('a client certificate without its key is a configuration error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-tls-settings-'));
    try {
      const env = { BUS_REDIS_URL: 'rediss://bus.example.com:6380', BUS_REDIS_TLS_CERT_FILE: join(dir, 'client.pem') };
      expect(() => readServiceConfig('basket', env)).toThrow(expect.objectContaining({ code: 'TRIB_INVALID_CONFIG', message: expect.stringMatching(/BUS_REDIS_TLS_CERT_FILE is set without a key/) }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
