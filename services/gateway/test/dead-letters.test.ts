import { describe, expect, it } from 'vitest';
import { ProductCreated } from '@tributary/contracts';
import { countDeadLetters, createConsumer, createPublisher } from 'tributary';
import { waitFor } from 'tributary/testing';
import { useGateway } from './harness.ts';

const t = useGateway();

describe('dead letters for operators', () => {
  /** A real consumer whose handler always fails dead-letters a real entry on the bus. */
  async function deadLetterOne(productId: string): Promise<void> {
    const before = await countDeadLetters(t.bus, ProductCreated.stream);
    const publisher = createPublisher({ redis: t.bus, service: 'catalog' });
    const consumer = createConsumer({
      redis: t.bus,
      stream: ProductCreated.stream,
      group: 'fulfillment',
      consumer: 'fulfillment-test',
      blockMs: 50,
      maxAttempts: 1,
    }).on(ProductCreated, async () => {
      throw new Error('warehouse unreachable');
    });
    await consumer.start();
    try {
      await publisher.publish(ProductCreated, { productId, sku: 'SKU-1', name: 'Haggis', priceCents: 100, stock: 1, bannedCountries: [] });
      await waitFor(async () => (await countDeadLetters(t.bus, ProductCreated.stream)) === before + 1, { description: 'a dead letter' });
    } finally {
      await consumer.close();
    }
  }

  it('lists the dead letters of a stream and replays them for the failing group', async () => {
    await deadLetterOne('p-dead');
    const app = await t.start();
    const listed = await app.inject({ method: 'GET', url: '/api/admin/dead-letters?stream=catalog:events' });
    expect(listed.statusCode).toBe(200);
    const body = listed.json() as { stream: string; count: number; items: Array<Record<string, unknown> & { fields: Record<string, string> }> };
    expect(body.stream).toBe('catalog:events');
    expect(body.count).toBe(1);
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ stream: 'catalog:events', group: 'fulfillment', handler: 'ProductCreated', attempts: 1 });
    expect(String(body.items[0]?.error)).toContain('warehouse unreachable');
    expect(JSON.stringify(body.items[0]?.fields)).toContain('p-dead');

    const before = Number(await t.bus.sendCommand(['XLEN', 'catalog:events']));
    const replay = await app.inject({ method: 'POST', url: '/api/admin/dead-letters/replay', payload: { stream: 'catalog:events', group: 'fulfillment' } });
    expect(replay.statusCode).toBe(200);
    const replayed = replay.json() as { replayed: number; ids: string[] };
    expect(replayed.replayed).toBe(1);
    expect(await countDeadLetters(t.bus, 'catalog:events')).toBe(0);
    expect(Number(await t.bus.sendCommand(['XLEN', 'catalog:events']))).toBe(before + 1);
    const entry = await t.bus.sendCommand<Array<[string, string[]]>>(['XRANGE', 'catalog:events', replayed.ids[0] as string, replayed.ids[0] as string]);
    expect(entry[0]?.[1]).toContain('replay:group');
    const empty = await app.inject({ method: 'GET', url: '/api/admin/dead-letters?stream=catalog:events' });
    expect(empty.json()).toMatchObject({ count: 0, items: [] });
  });

  it('replays only the chosen ids, and nothing for another group', async () => {
    await deadLetterOne('p-a');
    await deadLetterOne('p-b');
    const app = await t.start();
    const { items } = (await app.inject({ method: 'GET', url: '/api/admin/dead-letters?stream=catalog:events' })).json() as { items: Array<{ id: string }> };
    expect(items).toHaveLength(2);
    const none = await app.inject({ method: 'POST', url: '/api/admin/dead-letters/replay', payload: { stream: 'catalog:events', group: 'mailing' } });
    expect(none.json()).toEqual({ replayed: 0, ids: [] });
    const one = await app.inject({ method: 'POST', url: '/api/admin/dead-letters/replay', payload: { stream: 'catalog:events', ids: [items[1]?.id] } });
    expect(one.json()).toMatchObject({ replayed: 1 });
    const left = (await app.inject({ method: 'GET', url: '/api/admin/dead-letters?stream=catalog:events' })).json() as { items: Array<{ id: string }> };
    expect(left.items.map((item) => item.id)).toEqual([items[0]?.id]);
  });

  it('answers 400 for a stream no service publishes, or a malformed request, and touches nothing', async () => {
    await deadLetterOne('p-keep');
    const app = await t.start();
    for (const url of ['/api/admin/dead-letters?stream=gateway:events', '/api/admin/dead-letters?stream=secrets', '/api/admin/dead-letters']) {
      const answer = await app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(400);
    }
    expect((await app.inject({ method: 'GET', url: '/api/admin/dead-letters?stream=gateway:events' })).json()).toMatchObject({ error: 'UNKNOWN_STREAM' });
    for (const payload of [{ stream: 'nobody:events' }, { stream: 'catalog:events', ids: ['not-an-id'] }, { stream: 'catalog:events', extra: true }]) {
      expect((await app.inject({ method: 'POST', url: '/api/admin/dead-letters/replay', payload })).statusCode).toBe(400);
    }
    expect(await countDeadLetters(t.bus, 'catalog:events')).toBe(1);
  });
});
