import { describe, expect, it } from 'vitest';
import { distanceKm } from '../src/domain/geo.ts';
import { DROPOFF, PICKUP, along, useDelivery } from './harness.ts';

const env = useDelivery();

describe('GET /deliveries/:id', () => {
  it('answers the live status, with an ETA while flying', async () => {
    const service = await env.start();
    const deliveryId = await env.createDelivery();
    const created = await env.get(deliveryId);
    let response = await service.app.inject({ method: 'GET', url: `/deliveries/${deliveryId}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      deliveryId, packageId: created?.packageId, orderId: created?.orderId, status: 'CREATED', droneId: null, position: null,
      batteryPct: null, etaSeconds: null, reason: null, updatedAt: created?.createdAt, steps: [{ status: 'CREATED', at: created?.createdAt }],
    });

    const reading = env.reading(deliveryId, 50, 'IN_TRANSIT', { speedMps: 10, batteryPct: 71.5 });
    await env.fly([env.reading(deliveryId, 10, 'PICKED_UP'), reading]);
    response = await service.app.inject({ method: 'GET', url: `/deliveries/${deliveryId}` });
    const body = response.json();
    expect(body).toMatchObject({ status: 'IN_TRANSIT', droneId: 'drone-7', position: along(0.5), batteryPct: 71.5, reason: null, updatedAt: reading.at });
    expect(body.etaSeconds).toBe(Math.ceil((distanceKm(along(0.5), DROPOFF) * 1_000) / 10));
    expect(body.steps.map((step: { status: string }) => step.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT']);

    await env.fly([env.reading(deliveryId, 99, 'DELIVERED', { position: DROPOFF })]);
    response = await service.app.inject({ method: 'GET', url: `/deliveries/${deliveryId}` });
    expect(response.json()).toMatchObject({ status: 'DELIVERED', etaSeconds: null, position: DROPOFF });
  });

  it('404 DELIVERY_NOT_FOUND for an unknown id, 400 for a malformed one', async () => {
    const service = await env.start();
    const missing = await service.app.inject({ method: 'GET', url: '/deliveries/0b0e9a4c-5d4b-4f8e-9b55-000000000000' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'DELIVERY_NOT_FOUND' });
    const malformed = await service.app.inject({ method: 'GET', url: `/deliveries/${'x'.repeat(65)}` });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
  });
});

describe('GET /drones', () => {
  it('lists drones flying near a point, nearest first, and drops them once they landed', async () => {
    const service = await env.start();
    const near = await env.createDelivery();
    const far = await env.createDelivery();
    const waiting = await env.createDelivery();
    await env.fly([
      env.reading(near, 0, 'IN_TRANSIT', { droneId: 'drone-near', position: PICKUP }),
      env.reading(far, 0, 'IN_TRANSIT', { droneId: 'drone-far', position: { lat: 56.4907, lon: -2.9916 } }), // Dundee, ~62 km
    ]);
    const query = `/drones?lat=${DROPOFF.lat}&lon=${DROPOFF.lon}`;
    let response = await service.app.inject({ method: 'GET', url: query });
    expect(response.statusCode).toBe(200);
    // Default radius 50 km: Dundee is out, the delivery without a reading has no drone to show.
    expect(response.json().items).toEqual([
      { droneId: 'drone-near', deliveryId: near, position: PICKUP, distanceKm: expect.closeTo(distanceKm(PICKUP, DROPOFF), 2) },
    ]);
    response = await service.app.inject({ method: 'GET', url: `${query}&radiusKm=100` });
    expect(response.json().items.map((item: { droneId: string }) => item.droneId)).toEqual(['drone-near', 'drone-far']);
    expect(response.json().items.some((item: { deliveryId: string }) => item.deliveryId === waiting)).toBe(false);

    // Without a point: the whole fleet in flight.
    response = await service.app.inject({ method: 'GET', url: '/drones' });
    expect(response.statusCode).toBe(200);
    expect(response.json().items.map((item: { droneId: string }) => item.droneId).sort()).toEqual(['drone-far', 'drone-near']);

    await env.fly([env.reading(near, 1, 'DELIVERED', { droneId: 'drone-near', position: DROPOFF })]);
    response = await service.app.inject({ method: 'GET', url: `${query}&radiusKm=100` });
    expect(response.json().items.map((item: { droneId: string }) => item.droneId)).toEqual(['drone-far']);
  });

  it('400 for half a point, or an impossible point or radius', async () => {
    const service = await env.start();
    for (const url of ['/drones?lat=55', '/drones?lon=3', '/drones?lat=91&lon=0', '/drones?lat=55&lon=-181', '/drones?lat=55&lon=0&radiusKm=0', '/drones?lat=55&lon=0&radiusKm=-3', '/drones?lat=north&lon=0']) {
      const response = await service.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({ error: 'VALIDATION_FAILED' });
    }
  });
});
