import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bundledEntryArgs } from '@tributary/launcher/cached-bundle';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrderShipped } from '@tributary/contracts';
import { connectRedis, createPublisher, deriveEventId, type RedisClient } from 'tributary';
import { EXIT_CONFIG } from 'tributary/service';
import { freePort, startRedisServer, waitFor, type RedisServer } from 'tributary/testing';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// From a bundle, as the launcher runs it: tsx's loader costs each process seconds of CPU.
const MAIN_ARGS = await bundledEntryArgs(MAIN);

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startMain(env: Record<string, string>): Child {
  const child = spawn(process.execPath, MAIN_ARGS, {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', TRIBUTARY_INSTANCE: `package-main-${randomUUID()}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

describe('package as a process (main.ts)', () => {
  let redis: RedisServer;
  let probe: RedisClient;
  const children: Child[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    probe = await connectRedis(redis.url);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGKILL');
        await child.exited;
      }
    }
  });
  afterAll(async () => {
    await probe?.close();
    await redis?.stop();
  });

  it('reads its warehouse from the environment, makes packages, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = startMain({ BUS_REDIS_URL: redis.url, PACKAGE_DATABASE_URL: 'memory://', PACKAGE_PORT: String(port), WAREHOUSE_LAT: '48.8566', WAREHOUSE_LON: '2.3522' });
    children.push(child);
    await waitFor(() => child.output().includes('"msg":"ready"'), { timeoutMs: 30_000, description: "the ready line" });

    const orderId = randomUUID();
    await createPublisher({ redis: probe, service: 'fulfillment' }).publish(OrderShipped, {
      orderId, userId: randomUUID(), physicalItems: [{ productId: 'tea', quantity: 1 }], shipTo: { country: 'FR', address: '1 Rue de Rivoli' },
    });
    const url = `http://127.0.0.1:${port}/packages/${deriveEventId(orderId, 'package')}`;
    const found = await waitFor(async () => {
      const response = await fetch(url);
      return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : null;
    }, { timeoutMs: 15_000, description: 'package created' });
    expect(found).toMatchObject({ orderId, pickup: { lat: 48.8566, lon: 2.3522 }, tags: ['standard', 'size-small', 'country-fr'] });

    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });

  it('refuses to start with a warehouse that is not a coordinate', async () => {
    const child = startMain({ BUS_REDIS_URL: redis.url, PACKAGE_DATABASE_URL: 'memory://', PACKAGE_PORT: '0', WAREHOUSE_LAT: 'north' });
    children.push(child);
    // 78, a configuration error: the launcher does not restart a process that cannot run with its settings.
    expect(await child.exited).toBe(EXIT_CONFIG);
    expect(child.output()).toMatch(/WAREHOUSE_LAT/);
  });
});
