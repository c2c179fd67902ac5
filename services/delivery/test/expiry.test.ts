import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { DeliveryRecorded } from '@tributary/contracts';
import { deliveryKeys } from '../src/store/keys.ts';
import { DROPOFF, useDelivery } from './harness.ts';

const env = useDelivery();
const ttl = async (deliveryId: string) => Number(await env.store.sendCommand(['TTL', deliveryKeys.delivery(deliveryId)]));

describe('DeliveryRecorded -> the copy expires', () => {
  it('sets the retention on a finished delivery once history has it, and not again on a redelivery', async () => {
    await env.start({ retentionSeconds: 3_600 });
    const deliveryId = await env.createDelivery();
    await env.fly([env.reading(deliveryId, 0, 'DELIVERED', { position: DROPOFF })]);
    // Finished but not recorded: kept.
    expect(await ttl(deliveryId)).toBe(-1);

    const recorded = env.history.envelope(DeliveryRecorded, { deliveryId, status: 'DELIVERED' });
    await env.history.publishEnvelopes([recorded]);
    await env.consumed(DeliveryRecorded.stream);
    expect(await ttl(deliveryId)).toBeGreaterThan(3_500);
    expect(await ttl(deliveryId)).toBeLessThanOrEqual(3_600);

    // NX: a redelivered DeliveryRecorded does not push the expiry back.
    await env.store.sendCommand(['EXPIRE', deliveryKeys.delivery(deliveryId), '1000']);
    await env.history.publishEnvelopes([recorded]);
    await env.consumed(DeliveryRecorded.stream);
    expect(await ttl(deliveryId)).toBeLessThanOrEqual(1_000);
  });

  it('the delivery is gone after the retention: 404 here', async () => {
    const service = await env.start({ retentionSeconds: 1 });
    const deliveryId = await env.createDelivery();
    await env.fly([env.reading(deliveryId, 0, 'DELIVERED', { position: DROPOFF })]);
    expect((await service.app.inject({ method: 'GET', url: `/deliveries/${deliveryId}` })).statusCode).toBe(200);
    await env.history.publish(DeliveryRecorded, { deliveryId, status: 'DELIVERED' });
    await waitFor(async () => (await service.app.inject({ method: 'GET', url: `/deliveries/${deliveryId}` })).statusCode === 404, {
      timeoutMs: 5_000, description: 'expired after one second',
    });
  });

  it('leaves a delivery still in flight alone', async () => {
    await env.start();
    const deliveryId = await env.createDelivery();
    await env.fly([env.reading(deliveryId, 0, 'IN_TRANSIT')]);
    await env.history.publish(DeliveryRecorded, { deliveryId, status: 'DELIVERED' });
    await env.consumed(DeliveryRecorded.stream);
    expect(await ttl(deliveryId)).toBe(-1);
    expect((await env.get(deliveryId))?.status).toBe('IN_TRANSIT');
  });

  it('a DeliveryRecorded for a delivery it never had changes nothing (no half-written hash)', async () => {
    await env.start();
    await env.history.publish(DeliveryRecorded, { deliveryId: 'unknown-delivery', status: 'FAILED' });
    await env.consumed(DeliveryRecorded.stream);
    expect(Number(await env.store.sendCommand(['EXISTS', deliveryKeys.delivery('unknown-delivery')]))).toBe(0);
  });
});
