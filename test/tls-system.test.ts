// The whole system on Redis servers that speak TLS only and want a client
// certificate (tls-auth-clients yes), and nothing but TLS: the bus is a
// server of the test's own, given as a rediss:// URL with the
// BUS_REDIS_TLS_* settings (the launcher makes its per-service ACL users on
// it over TLS); the store is the launcher's own, made TLS-only by
// TRIBUTARY_REDIS_TLS=on with a CA it generates. Every service connects to
// both with client certificates, and the shop's saga, a basket checkout, a
// drone delivery and a lending request complete through the gateway. One
// system start for the file covers both ways.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem } from '@tributary/launcher';
import { connectRedis } from 'tributary';
import { freePort, generateTlsCertificates, startRedisServer, type RedisServer, type TlsCertificates } from 'tributary/testing';
import { runCli } from '../apps/cli/test/harness.ts';
import { basketCheckedOut, customer, lendingDecided, orderDelivered, product } from './support/journeys.ts';
import { gatewayApi, TEST_SYSTEM_ENV, type GatewayApi } from './support/system.ts';

let dir: string;
let certs: TlsCertificates;
let bus: RedisServer | undefined;
let system: Awaited<ReturnType<typeof startSystem>> | undefined;
let api: GatewayApi;
let tlsEnv: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-tls-system-'));
  certs = await generateTlsCertificates(join(dir, 'tls'));
  const tls = { caFile: certs.caFile, certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCertFile: certs.clientCertFile, clientKeyFile: certs.clientKeyFile };
  bus = await startRedisServer({ appendOnly: true, tls });
  tlsEnv = { BUS_REDIS_TLS_CA_FILE: certs.caFile, BUS_REDIS_TLS_CERT_FILE: certs.clientCertFile, BUS_REDIS_TLS_KEY_FILE: certs.clientKeyFile };
  system = await startSystem({
    // Three 75 s attempts per service: with other suites' systems on the machine, a PGlite service's start was seen to take longer than two.
    readyTimeoutMs: 230_000,
    rootDir: resolve(import.meta.dirname, '..'),
    dataDir: join(dir, 'data'),
    gatewayPort: await freePort(),
    busRedisUrl: bus.url,
    env: { ...TEST_SYSTEM_ENV, ...tlsEnv, TRIBUTARY_REDIS_TLS: 'on' },
  });
  api = gatewayApi(system.gatewayUrl, system.adminKey);
}, 330_000);

afterAll(async () => {
  await system?.stop();
  await bus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the whole system over rediss:// with client certificates', () => {
  it('runs on TLS-only servers, each service as its own ACL user made over TLS', async () => {
    const running = system as NonNullable<typeof system>;
    expect(running.busRedisUrl).toMatch(/^rediss:\/\//);
    expect(running.storeRedisUrl).toMatch(/^rediss:\/\//);
    expect(running.redisUsers).toEqual({ bus: true, store: true });
    // The launcher's own store: TLS only, with the certificates it made under the data directory.
    const own = join(dir, 'data', 'tls');
    const store = await connectRedis(running.storeRedisUrl, { failFast: true, tls: { caFile: join(own, 'ca.crt'), certFile: join(own, 'client.crt'), keyFile: join(own, 'client.key') } });
    try {
      expect(await store.sendCommand(['CONFIG', 'GET', 'port'])).toEqual(['port', '0']);
      expect(await store.sendCommand(['CONFIG', 'GET', 'tls-auth-clients'])).toEqual(['tls-auth-clients', 'yes']);
    } finally {
      await store.close();
    }
    await expect(connectRedis(running.storeRedisUrl, { tls: { caFile: join(own, 'ca.crt') } })).rejects.toThrow(/certificate required/i);
  });

  it('completes an order saga with a drone delivery, and a basket checkout', async () => {
    const shopper = await customer(api, 'Tess Tls', 'tess@example.com');
    await orderDelivered(api, shopper, [{ productId: await product(api, 'TLS-TEA', 450), quantity: 2 }]);
    expect(await basketCheckedOut(api, shopper, await product(api, 'TLS-CUPS', 1_200))).toMatchObject({ status: 'COMPLETED_SUCCESSFULLY', totalCents: 1_200 });
  });

  it('decides a lending request, asked through the gateway and with the CLI over TLS', async () => {
    expect(await lendingDecided(api, '/api/lending/requests', { userId: 'Tilda', bookIds: ['ofmiceandmen'] })).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen'] });

    const url = (system as NonNullable<typeof system>).busRedisUrl;
    const back = await runCli(['lending', 'return', '--url', url, 'Tilda', 'ofmiceandmen'], tlsEnv);
    expect(back.stderr).toBe('');
    expect(back.stdout).toContain('PROCESSED');
    // Without the client certificate the server refuses the CLI, which says so and exits 1.
    const refused = await runCli(['lending', 'return', '--url', url, 'Tilda', 'ofmiceandmen'], { BUS_REDIS_TLS_CA_FILE: certs.caFile });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/certificate required/i);
    // An unreadable file is a usage error naming the setting.
    const unreadable = await runCli(['lending', 'return', '--url', url, 'Tilda', 'ofmiceandmen'], { ...tlsEnv, BUS_REDIS_TLS_KEY_FILE: join(dir, 'missing.key') });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/BUS_REDIS_TLS_KEY_FILE: cannot read .*missing\.key \(ENOENT\)/);
  });
});
