import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, startRedisServer, waitFor, type RedisServer } from 'tributary/testing';

// A real service process against a password-protected Redis: whatever it
// logs while starting, serving, failing to connect and stopping, the
// passwords and the admin key never reach its output.
const ROOT = resolve(import.meta.dirname, '..');
const PASSWORD = 'pw-never-logged-7f3a';
const ADMIN_KEY = 'admin-never-logged-91c2';
let redis: RedisServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer({ password: PASSWORD });
});
afterAll(async () => {
  // A failed or timed-out test must not leave a service running.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await redis?.stop();
});

function runBasket(busUrl: string, port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'services/basket/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, BUS_REDIS_URL: busUrl, BASKET_PORT: String(port), ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'debug', TRIBUTARY_INSTANCE: `secrets-${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, exited, output: () => output };
}

it('a service connected with a password, serving and stopping, never logs the password or the admin key', async () => {
  const { port: redisPort } = new URL(redis.url);
  const port = await freePort();
  const basket = runBasket(redis.authenticatedUrl, port);
  await waitFor(() => basket.output().includes('"msg":"ready"'), { timeoutMs: 30_000, description: 'basket ready' });
  const response = await fetch(`http://127.0.0.1:${port}/baskets/u1`, { headers: { 'x-api-key': ADMIN_KEY, authorization: `Bearer ${ADMIN_KEY}` } });
  expect(response.status).toBeLessThan(500);
  basket.child.kill('SIGTERM');
  expect(await basket.exited).toBe(0);
  expect(basket.output()).toContain('"msg":"ready"');
  expect(basket.output()).not.toContain(PASSWORD);
  expect(basket.output()).not.toContain(ADMIN_KEY);
});

it('a service given a wrong password fails to start with a clear log line, and does not echo the password', async () => {
  const { port: redisPort } = new URL(redis.url);
  const wrong = 'wrong-pw-never-logged-55b1';
  const basket = runBasket(`redis://:${wrong}@127.0.0.1:${redisPort}`, await freePort());
  expect(await basket.exited).toBe(1);
  expect(basket.output()).toMatch(/failed to start/);
  expect(basket.output()).not.toContain(wrong);
});
