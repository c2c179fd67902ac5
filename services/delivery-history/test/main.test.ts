import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundledEntryArgs } from '@tributary/launcher/cached-bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createPublisher, type RedisClient } from 'tributary';
import { startRedisServer, waitFor, type RedisServer } from 'tributary/testing';
import { newTrip, tripEvents } from './harness.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('delivery-history as a process (main.ts)', () => {
  let server: RedisServer;
  let bus: RedisClient;
  let dataDir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    bus = await connectRedis(server.url);
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-dh-main-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await bus?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads its configuration from the environment, records and writes the lake, and stops cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, BUS_REDIS_URL: server.url, TRIBUTARY_DATA_DIR: dataDir, DELIVERY_HISTORY_PORT: '0', LAKE_FLUSH_INTERVAL_MS: '100', TRIBUTARY_INSTANCE: 'dh-main-test' };
    for (const name of ['DATABASE_URL', 'DELIVERY_HISTORY_DATABASE_URL', 'DELIVERY_LAKE_DIR', 'PORT']) delete env[name];
    const started = spawn(process.execPath, await bundledEntryArgs(MAIN), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    child = started;
    const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
    const address = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: started.stdout! });
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'ready' && entry.address) resolve(entry.address);
      });
      started.once('exit', (code) => reject(new Error(`main.ts exited (${code}) before it was ready`)));
    });
    const ownerFile = join(dataDir, 'pg', 'delivery-history.owner.json');
    expect(existsSync(ownerFile)).toBe(true);

    const trip = newTrip();
    const delivery = createPublisher({ redis: bus, service: 'delivery' });
    await delivery.publishEnvelopes(tripEvents(delivery, trip, '2024-08-01T10:00:00.000Z', 600, 'DELIVERED'));
    const history = await waitFor(
      async () => {
        const response = await fetch(`${address}/deliveries/${trip.deliveryId}/history`);
        return response.status === 200 ? ((await response.json()) as { status: string }) : null;
      },
      { timeoutMs: 20_000, description: 'the delivery recorded' },
    );
    expect(history.status).toBe('DELIVERED');
    const partition = join(dataDir, 'lake', 'deliveries', 'year=2024', 'month=08', 'day=01');
    await waitFor(() => existsSync(partition) && readdirSync(partition).some((name) => name.endsWith('.parquet')), { timeoutMs: 20_000, description: 'the lake file' });

    started.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(ownerFile)).toBe(false);
  });
});
