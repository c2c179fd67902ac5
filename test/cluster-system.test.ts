// The whole system on Redis Cluster: the bus and the store each a 3-master
// cluster of its own (started on loopback with redis-cli --cluster create).
// The bus speaks TLS only and wants client certificates (rediss+cluster://,
// with the BUS_REDIS_TLS_* settings), the store is plain (redis+cluster://):
// one system start covers both. The launcher makes its per-service ACL
// users on every node; every service connects through the kit's cluster
// client, and the shop's saga, a basket checkout, a drone delivery and
// lending requests and returns complete through the gateway. One system
// start for the file.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem } from '@tributary/launcher';
import { passwordFile } from '@tributary/launcher/credentials';
import { SERVICES } from '@tributary/launcher';
import { connectRedis, countDeadLetters, forEachNode, groupsOf, type RedisTls } from 'tributary';
import { freePort, generateTlsCertificates, startRedisCluster, waitFor, type RedisCluster } from 'tributary/testing';
import { runCli } from '../apps/cli/test/harness.ts';
import { basketCheckedOut, customer, lendingDecided, orderDelivered, product } from './support/journeys.ts';
import { gatewayApi, TEST_SYSTEM_ENV, type GatewayApi } from './support/system.ts';

let dir: string;
let bus: RedisCluster | undefined;
let store: RedisCluster | undefined;
let system: Awaited<ReturnType<typeof startSystem>> | undefined;
let api: GatewayApi;
let busTls: RedisTls;
let tlsEnv: Record<string, string>;

/** A connection of the test's own to one of the clusters (the bus over TLS). */
const connectTo = (cluster: RedisCluster) => connectRedis(cluster.url, cluster === bus ? { tls: busTls } : {});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-cluster-system-'));
  const certs = await generateTlsCertificates(join(dir, 'tls'));
  busTls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
  tlsEnv = { BUS_REDIS_TLS_CA_FILE: certs.caFile, BUS_REDIS_TLS_CERT_FILE: certs.clientCertFile, BUS_REDIS_TLS_KEY_FILE: certs.clientKeyFile };
  [bus, store] = await Promise.all([
    startRedisCluster({ tls: { caFile: certs.caFile, certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCertFile: certs.clientCertFile, clientKeyFile: certs.clientKeyFile } }),
    startRedisCluster(),
  ]);
  system = await startSystem({
    readyTimeoutMs: 230_000,
    rootDir: resolve(import.meta.dirname, '..'),
    dataDir: join(dir, 'data'),
    gatewayPort: await freePort(),
    busRedisUrl: bus.url,
    storeRedisUrl: store.url,
    env: { ...TEST_SYSTEM_ENV, ...tlsEnv },
  });
  api = gatewayApi(system.gatewayUrl, system.adminKey);
}, 330_000);

afterAll(async () => {
  await system?.stop();
  await Promise.all([bus?.stop(), store?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('the whole system on two 3-master Redis Clusters, the bus over TLS', { timeout: 180_000 }, () => {
  it('has each service as its own ACL user on every node of both clusters', async () => {
    const running = system as NonNullable<typeof system>;
    expect(running.redisUsers).toEqual({ bus: true, store: true });
    for (const cluster of [bus, store] as RedisCluster[]) {
      const client = await connectTo(cluster);
      try {
        const users = await forEachNode(client, (node) => node.sendCommand<string[]>(['ACL', 'USERS']));
        expect(users).toHaveLength(3);
        for (const list of users) expect(list).toEqual(expect.arrayContaining(['ordering', 'lending']));
      } finally {
        await client.close();
      }
    }
  });

  it('rotates a service\'s key on every node of both clusters', async () => {
    const rotated = await runCli(['keys', 'rotate', 'ordering', '--bus-url', (bus as RedisCluster).url, '--store-url', (store as RedisCluster).url], { TRIBUTARY_DATA_DIR: join(dir, 'data'), ...tlsEnv });
    expect(rotated.code, rotated.stderr).toBe(0);
    for (const [role, cluster] of [['bus', bus], ['store', store]] as const) {
      const current = readFileSync(passwordFile(join(dir, 'data'), 'ordering', role), 'utf8').trim();
      const client = await connectTo(cluster as RedisCluster);
      try {
        const users = await forEachNode(client, async (node) => node.sendCommand<unknown[]>(['ACL', 'GETUSER', 'ordering']));
        for (const user of users) {
          const passwords = user[user.indexOf('passwords') + 1];
          expect(passwords).toEqual([createHash('sha256').update(current).digest('hex')]);
        }
      } finally {
        await client.close();
      }
    }
  });

  it('completes an order saga of two products with a drone delivery, and a basket checkout', async () => {
    const shopper = await customer(api, 'Clara Cluster', 'clara@example.com');
    // Two products: their stock lives in two slots, so fulfillment ships the order over more than one node.
    const [tea, cakes] = [await product(api, 'CLUSTER-TEA', 450), await product(api, 'CLUSTER-CAKES', 300)];
    await orderDelivered(api, shopper, [{ productId: tea, quantity: 2 }, { productId: cakes, quantity: 1 }]);
    expect(await basketCheckedOut(api, shopper, await product(api, 'CLUSTER-CUPS', 1_200))).toMatchObject({ status: 'COMPLETED_SUCCESSFULLY', totalCents: 1_200 });
  });

  it('decides lending requests and a return through the gateway', async () => {
    expect(await lendingDecided(api, '/api/lending/requests', { userId: 'Cleo', bookIds: ['ofmiceandmen', 'dune'] })).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen', 'dune'] });
    expect(await lendingDecided(api, '/api/lending/requests', { userId: 'Cato', bookIds: ['dune'] })).toMatchObject({ status: 'REJECTED' });
    expect(await lendingDecided(api, '/api/lending/returns', { userId: 'Cleo', bookIds: ['dune'] })).toMatchObject({ status: 'PROCESSED' });
    expect(await lendingDecided(api, '/api/lending/requests', { userId: 'Cato', bookIds: ['dune'] })).toMatchObject({ status: 'ACCEPTED', bookIds: ['dune'] });
  });

  it('leaves every event handled: nothing pending, behind or dead-lettered on any stream', async () => {
    const client = await connectTo(bus as RedisCluster);
    try {
      const streams = [...SERVICES.map((name) => `${name}:events`), 'lending:requests', 'accounts:payments'];
      const stuck = await waitFor(
        async () => {
          const left: string[] = [];
          for (const stream of streams) {
            for (const group of await groupsOf(client, stream)) if (group.pending > 0 || (group.lag ?? 0) > 0) left.push(`${stream} ${group.name}: ${group.pending} pending, ${group.lag} behind`);
            const letters = await countDeadLetters(client, stream);
            if (letters > 0) left.push(`${stream}: ${letters} dead letters`);
          }
          return left.length === 0 ? left : null;
        },
        { timeoutMs: 30_000, description: 'every stream handled' },
      ).catch((error: unknown) => [String(error)]);
      expect(stuck).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
