import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import { readStreamEvents, startRedisServer, type RedisServer } from 'tributary/testing';
import { runCli, startServiceProcess, type ServiceProcess } from './harness.ts';

/**
 * The book's session (get_books.py against main.py) with the real bin and the
 * real lending and shelving services, each its own process as under `npm start`.
 */
// Each test spawns the bin (tsx start-up) several times: slow when the machine is busy.
describe('tributary lending against the real lending service', { timeout: 120_000 }, () => {
  let bus: RedisServer;
  let store: RedisServer;
  let redis: RedisClient;
  const services: ServiceProcess[] = [];
  let lending: ServiceProcess;

  beforeAll(async () => {
    [bus, store] = await Promise.all([startRedisServer(), startRedisServer()]);
    redis = await connectRedis(bus.url);
    const shelving = await startServiceProcess('shelving', { BUS_REDIS_URL: bus.url, STORE_REDIS_URL: store.url });
    services.push(shelving);
    lending = await startServiceProcess('lending', { BUS_REDIS_URL: bus.url, STORE_REDIS_URL: store.url, SHELVING_URL: shelving.url });
    services.push(lending);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(services.reverse().map((service) => service.stop()));
    await redis?.close();
    await Promise.all([bus?.stop(), store?.stop()]);
  });

  it('lends ofmiceandmen to Salvatore, refuses it to another user, and takes it back', async () => {
    const lend = await runCli(['lending', 'request', '--url', bus.url, 'Salvatore', 'ofmiceandmen']);
    expect(lend.stderr, lending.log()).toBe('');
    expect(lend.code).toBe(0);
    const [requested] = await readStreamEvents(redis, 'lending:requests');
    expect(lend.stdout).toContain(`Request: [${requested?.id}] by Salvatore ACCEPTED.\nBooks:\n1) ofmiceandmen\n`);

    const taken = await runCli(['lending', 'request', '--url', bus.url, '--json', 'Ada', 'ofmiceandmen']);
    expect(taken.code).toBe(0);
    const outcome = JSON.parse(taken.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    expect(outcome).toMatchObject({ kind: 'lend', status: 'REJECTED', reason: 'NONE_AVAILABLE', userId: 'Ada' });

    const back = await runCli(['lending', 'return', '--url', bus.url, 'Salvatore', 'ofmiceandmen']);
    expect(back.code).toBe(0);
    const returned = (await readStreamEvents(redis, 'lending:requests')).at(-1);
    expect(returned?.envelope.type).toBe('ReturnRequested');
    expect(back.stdout).toContain(`Book Return [${returned?.id}] PROCESSED\nReturned:\n1) ofmiceandmen\n`);

    const books = (await (await fetch(`${lending.url}/users/Salvatore/books`)).json()) as { bookIds: string[]; count: number };
    expect(books).toMatchObject({ bookIds: [], count: 0 });
  });
});
