import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '@tributary/launcher';
import { connectRedis } from 'tributary';
import { waitFor } from 'tributary/testing';
import { startTestSystem, type TestSystem } from '../../../test/support/system.ts';
import { runCli } from './harness.ts';

interface StreamsJson {
  streams: Array<{ stream: string; length: number; deadLetters: number; groups: Array<{ name: string; lag: number | null; pending: number; consumers: Array<{ name: string; idleMs: number }> }> }>;
}
interface DlqJson {
  streams: Array<{ stream: string; count: number; items: Array<{ id: string; originalId: string; group: string }> }>;
}

/** The gateway commands against the whole reference system (real processes, one per file: it is slow to start). */
describe('tributary against a running system', { timeout: 180_000 }, () => {
  let t: TestSystem;
  let gateway: Record<string, string>;
  beforeAll(async () => {
    t = await startTestSystem('pglite');
    // The CLI finds the admin key where the launcher keeps it: <data dir>/admin-key.
    gateway = { TRIBUTARY_URL: t.system.gatewayUrl, REDIS_URL: t.bus.url, TRIBUTARY_DATA_DIR: t.dataDir };
  }, 180_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('status: every service up (exit 0), though no launcher of `tributary start` runs', async () => {
    const elsewhere = { ...gateway, TRIBUTARY_DATA_DIR: '/nonexistent/tributary-cli', ADMIN_API_KEY: t.system.adminKey as string };
    const run = await runCli(['status', '--json'], elsewhere);
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status).toMatchObject({ running: false, reachable: true, allUp: true });
    expect(status.services.map((service: { name: string }) => service.name)).toEqual(expect.arrayContaining(['gateway', 'ordering', 'lending']));
    const text = await runCli(['status'], elsewhere);
    expect(text.stdout).toMatch(/^ordering\s+up\s/m);
    expect(text.stdout).toMatch(/(\d+)\/\1 up/);
  });

  it('streams: every stream with its groups, as a table and as JSON', async () => {
    const json = await runCli(['streams', '--json'], gateway);
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as StreamsJson;
    const ordering = answer.streams.find((state) => state.stream === 'ordering:events');
    expect(ordering?.groups.map((group) => group.name)).toEqual(expect.arrayContaining(['accounts']));
    const text = await runCli(['streams'], gateway);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^STREAM\s+LENGTH\s+DEAD\s+GROUP\s+LAG\s+PENDING\s+CONSUMERS/);
    expect(text.stdout).toMatch(/^ordering:events\s+\d+\s+\d+/m);
    expect(text.stdout).toMatch(/^\s+accounts\s+\d+\s+\d+\s+\S+ idle /m);
  });

  it('dlq: a malformed entry is listed as a dead letter, then replayed by id; tail shows it as malformed', async () => {
    const bus = t.system.busRedisUrl;
    const { connectRedis } = await import('tributary');
    const redis = await connectRedis(bus);
    try {
      const before = (await redis.sendCommand<Array<[string]>>(['XREVRANGE', 'ordering:events', '+', '-', 'COUNT', '1']))[0]?.[0] ?? '0-0';
      // No type, no payload: every group on the stream fails to decode it and dead-letters it at once.
      const entryId = await redis.sendCommand<string>(['XADD', 'ordering:events', '*', 'garbage', 'from the cli test']);

      const tail = await runCli(['tail', 'ordering:events', '--since', before, '--count', '1', '--json'], gateway);
      expect(tail.code).toBe(0);
      expect(JSON.parse(tail.stdout)).toMatchObject({ entryId, malformed: true });

      const letters = await waitFor(
        async () => {
          const run = await runCli(['dlq', 'list', '--json'], gateway);
          expect(run.code).toBe(0);
          const items = (JSON.parse(run.stdout) as DlqJson).streams.flatMap((stream) => stream.items).filter((item) => item.originalId === entryId);
          return items.length > 0 ? items : null;
        },
        { timeoutMs: 60_000, intervalMs: 500, description: `a dead letter of ${entryId}` },
      );
      const letter = letters[0] as { id: string; group: string };
      const text = await runCli(['dlq', 'list', '--stream', 'ordering:events'], gateway);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`^${letter.id}\\s+ordering:events\\s+${letter.group}\\s`, 'm'));

      const replay = await runCli(['dlq', 'replay', 'ordering:events', letter.id, '--json'], gateway);
      expect(replay.code).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({ replayed: 1, streams: [{ stream: 'ordering:events', replayed: 1 }] });
      const again = await runCli(['dlq', 'replay', 'ordering:events', letter.id], gateway);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`no dead letter ${letter.id} on ordering:events`);

      const unknown = await runCli(['dlq', 'list', '--stream', 'nosuch:events'], gateway);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('UNKNOWN_STREAM');
    } finally {
      await redis.close();
    }
  });

  it('load: 5 orders at 5 per second all reach a final status; the summary as JSON', async () => {
    const run = await runCli(['load', '--orders', '5', '--rate', '5', '--json'], gateway);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ requested: 5, placed: 5, terminal: 5, notTerminal: 0, errors: { total: 0 } });
    expect(Object.values(summary.byStatus as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(5);
    expect(summary.latencyMs.post).toMatchObject({ count: 5 });
    expect(summary.latencyMs.placementToTerminal.count).toBe(5);
    for (const key of ['p50', 'p90', 'p99', 'max'] as const) expect(summary.latencyMs.post[key]).toBeGreaterThan(0);
    expect(summary.latencyMs.post.p50).toBeLessThanOrEqual(summary.latencyMs.post.max);
    expect(run.stderr).toContain('5/5 placed');
  });

  it('load --clients: a closed loop of customers, each waiting for its order to be final; CPU and RSS per service from /metrics', async () => {
    const run = await runCli(['load', '--clients', '3', '--orders', '9', '--json'], gateway);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ mode: 'closed-loop', clients: 3, requested: 9, attempted: 9, placed: 9, terminal: 9, notTerminal: 0, ok: true, errors: { total: 0, server5xx: 0, client4xx: 0 } });
    expect(summary.latencyMs.postToSeenFinal.count).toBe(9);
    expect(summary.latencyMs.placementToTerminal.count).toBe(9);
    expect(summary.throughput.terminalPerSecond).toBeGreaterThan(0);
    expect(summary.window.endMonotonicUs).toBeGreaterThan(summary.window.startMonotonicUs);
    // Fulfillment and ordering run as threads of the service host: their own thread's CPU, and the host's RSS on the host's row.
    // The gateway is a process of its own.
    const row = (service: string) => summary.processes.find((p: { service: string }) => p.service === service);
    expect(row('fulfillment')).toMatchObject({ kind: 'thread', cpuSeconds: expect.any(Number), cpuMsPerOrder: expect.any(Number), rssStartBytes: null, rssEndBytes: null });
    expect(row('service-host')).toMatchObject({ kind: 'process', cpuSeconds: expect.any(Number), rssStartBytes: expect.any(Number), rssEndBytes: expect.any(Number) });
    expect(row('service-host').rssEndBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(row('service-host').cpuSeconds).toBeGreaterThan(row('fulfillment').cpuSeconds);
    expect(row('ordering')).toMatchObject({ kind: 'thread', cpuSeconds: expect.any(Number), rssEndBytes: null });
    expect(row('gateway')).toMatchObject({ kind: 'process', cpuSeconds: expect.any(Number), rssEndBytes: expect.any(Number) });
    expect(row('gateway').rssEndBytes).toBeGreaterThan(10 * 1024 * 1024);

    const text = await runCli(['load', '--clients', '2', '--orders', '2', '--soak', '--sample-every', '0.2'], gateway);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^orders\s+closed loop of 2 clients: 2 placed of 2, 2 accepted, 2 reached a final status/m);
    expect(text.stdout).toMatch(/^process\s+CPU s\s+CPU ms\/order\s+RSS start MB\s+RSS end MB\s+RSS max MB/m);
    expect(text.stdout).toMatch(/^gateway\s+[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+\d+/m);
    expect(text.stdout).toMatch(/^fulfillment\s+[\d.]+\s+[\d.]+\s+-\s+-\s+-/m);
    expect(text.stdout).toMatch(/^service-host\s+[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+\d+/m);
  });

  it('load exits 1 with a summary when orders do not become final (fulfillment stopped)', async () => {
    const fulfillment = t.system.process('fulfillment');
    await fulfillment.pause();
    try {
      const run = await runCli(['load', '--clients', '2', '--orders', '2', '--timeout', '3000', '--json'], gateway);
      expect(run.code, run.stderr).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({ placed: 2, terminal: 0, notTerminal: 2, ok: false, errors: { total: 0 } });
    } finally {
      fulfillment.resume();
      await t.system.waitReady('fulfillment');
    }
  });

  it('load exits 1 and counts the 5xx when orders cannot be placed (ordering stopped)', async () => {
    const ordering = t.system.process('ordering');
    await ordering.pause();
    try {
      const run = await runCli(['load', '--clients', '1', '--orders', '2', '--timeout', '5000'], gateway);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toMatch(/^errors\s+2: 2 5xx, 0 4xx, 0 no answer \(503 × 2\)/m);
      expect(run.stdout).toContain('not every order was placed');
    } finally {
      ordering.resume();
      await t.system.waitReady('ordering');
    }
  });

  it('keys rotate --all under load: forced reconnects use the new keys, the old are refused, no request fails, every order final', async () => {
    type Passwords = Record<'bus' | 'store', { services: Record<string, string> }>;
    const passwords = () => (JSON.parse(readFileSync(join(t.dataDir, 'service-credentials.json'), 'utf8')) as { redis: Passwords }).redis;
    const old = passwords();
    const admins = { bus: await connectRedis(t.bus.url, { failFast: true }), store: await connectRedis(t.store.url, { failFast: true }) };
    try {
      // Orders through the whole saga, and requests through the gateway to a service, throughout.
      const load = runCli(['load', '--clients', '2', '--duration', '15', '--json'], gateway);
      let requests = 0;
      const failed: string[] = [];
      let requesting = true;
      const traffic = (async () => {
        while (requesting) {
          const reply = await t.publicApi('GET', '/api/products').catch((error: unknown) => ({ status: 0, body: String(error) }));
          if (reply.status === 200) requests++;
          else failed.push(`${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
        }
      })();
      await waitFor(() => requests >= 5, { timeoutMs: 30_000, description: 'requests flowing' });

      const rotated = await runCli(['keys', 'rotate', '--all', '--json', '--bus-url', t.bus.url, '--store-url', t.store.url], gateway);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(JSON.parse(rotated.stdout).rotated.map((result: { service: string }) => result.service)).toEqual([...SERVICES]);
      const fresh = passwords();
      // The rotation is over: no request and no order failed through it.
      requesting = false;
      await traffic;
      const run = await load;
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.placed).toBeGreaterThan(0);
      expect(summary).toMatchObject({ terminal: summary.placed, notTerminal: 0, errors: { total: 0 } });
      expect(failed).toEqual([]);

      // Every connection of every service ended (with no traffic in flight: CLIENT KILL fails a command on the wire,
      // which is the test's doing): each comes back on its own, with the password its file now holds.
      for (const service of SERVICES) for (const admin of Object.values(admins)) await admin.sendCommand(['CLIENT', 'KILL', 'USER', service]);
      const connected = async (role: 'bus' | 'store', service: string) => String(await admins[role].sendCommand(['CLIENT', 'LIST'])).includes(` user=${service} `);
      await waitFor(async () => (await Promise.all(SERVICES.map((service) => connected('bus', service)))).every(Boolean), { timeoutMs: 60_000, description: 'every service back on the bus' });
      await waitFor(async () => (await Promise.all(['gateway', 'basket', 'catalog'].map((service) => connected('store', service)))).every(Boolean), { timeoutMs: 60_000, description: 'store users back' });
      for (let n = 0; n < 5; n++) expect((await t.publicApi('GET', '/api/products')).status).toBe(200);
      const again = await runCli(['load', '--clients', '2', '--orders', '4', '--json'], gateway);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ terminal: 4, notTerminal: 0, errors: { total: 0 } });

      for (const role of ['bus', 'store'] as const) {
        for (const service of ['ordering', 'gateway', 'basket']) {
          expect(fresh[role].services[service]).not.toBe(old[role].services[service]);
          const probe = await connectRedis(role === 'bus' ? t.bus.url : t.store.url, { failFast: true });
          await expect(probe.sendCommand(['AUTH', service, old[role].services[service] as string])).rejects.toThrow(/WRONGPASS/);
          expect(await probe.sendCommand(['AUTH', service, fresh[role].services[service] as string])).toBe('OK');
          probe.destroy();
        }
      }
    } finally {
      await Promise.allSettled(Object.values(admins).map((admin) => admin.close()));
    }
  });

  it('keys rotate: an unknown service is a usage error naming the services; no running system is said so', async () => {
    const unknown = await runCli(['keys', 'rotate', 'orderin'], gateway);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no service "orderin"; the services are accounts, catalog, ordering/);
    const nowhere = await runCli(['keys', 'rotate', 'ordering'], { TRIBUTARY_DATA_DIR: '/nonexistent/tributary-keys' });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/no running system found at \/nonexistent\/tributary-keys/);
    const neither = await runCli(['keys', 'rotate'], gateway);
    expect(neither.code).toBe(2);
  });
});
