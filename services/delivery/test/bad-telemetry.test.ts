import { describe, expect, it } from 'vitest';
import { listDeadLetters } from 'tributary';
import { DroneTelemetry } from '@tributary/contracts';
import { useDelivery } from './harness.ts';

const env = useDelivery();

/** Raw stream fields, as a faulty producer could write them without the kit's publisher. */
function rawEntry(data: string, overrides: Record<string, string> = {}): string[] {
  const fields: Record<string, string> = {
    id: `bad-${Math.random().toString(36).slice(2)}`, type: 'DroneTelemetry', version: '1', time: new Date().toISOString(),
    source: 'drone-sim', correlationId: 'c-1', causationId: '', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    data, ...overrides,
  };
  return Object.entries(fields).flat();
}

describe('bad telemetry', () => {
  it('is dead-lettered with the reason, changes nothing, and does not stop the readings behind it', async () => {
    await env.start();
    const deliveryId = await env.createDelivery();
    const before = await env.get(deliveryId);
    const good = env.reading(deliveryId, 0, 'PICKED_UP');
    const bad = [
      rawEntry(JSON.stringify({ ...good, seq: -1 })),
      rawEntry(JSON.stringify({ ...good, position: { lat: 95, lon: 0 } })),
      rawEntry(JSON.stringify({ ...good, phase: 'TELEPORTED' })),
      rawEntry(JSON.stringify({ deliveryId, seq: 3 })),
      rawEntry('{"seq": 1,'),
      rawEntry(JSON.stringify(good), { version: 'one' }),
    ];
    for (const fields of bad) await env.bus.sendCommand(['XADD', DroneTelemetry.stream, '*', ...fields]);
    await env.fly([env.reading(deliveryId, 5, 'IN_TRANSIT')]);

    const letters = await listDeadLetters(env.bus, DroneTelemetry.stream);
    expect(letters.map((letter) => letter.error)).toEqual([
      expect.stringMatching(/^invalid DroneTelemetry: \/seq/),
      expect.stringMatching(/^invalid DroneTelemetry: \/position\/lat/),
      expect.stringMatching(/^invalid DroneTelemetry: \/phase/),
      expect.stringMatching(/^invalid DroneTelemetry: /),
      expect.stringMatching(/^invalid entry: data is not JSON/),
      expect.stringMatching(/^invalid entry: invalid version/),
    ]);
    expect(letters.every((letter) => letter.group === 'delivery')).toBe(true);
    // None of them touched the delivery; the good reading after them was applied.
    const after = await env.get(deliveryId);
    expect(after).toMatchObject({ status: 'IN_TRANSIT', seq: 5 });
    expect(after?.createdAt).toBe(before?.createdAt);
    expect((await env.statusEvents(deliveryId)).map((event) => event.data.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT']);
  });
});
