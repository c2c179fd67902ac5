import { randomUUID } from 'node:crypto';
import { connectRedis, createPublisher, deriveEventId, groupsOf, streamKeys, type Envelope, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { startRedisServer } from 'tributary/testing';
import { DroneTelemetry, PackageCreated, type DRONE_PHASES } from '@tributary/contracts';
import { startDelivery, type DeliveryDeps } from '../../services/delivery/src/app.ts';
import { deliveryKeys } from '../../services/delivery/src/store/keys.ts';
import { printTable } from './table.ts';

/**
 * Drone telemetry into the delivery service, in this process, on its own bus
 * and store redis-servers: readings per second from the first XADD until
 * every delivery holds its last reading (so every reading was validated,
 * applied by its Lua script, and the status events and fleet indexes
 * written). The batch handler (`onBatch`: one pipeline per read) against the
 * per-reading handler (`on`: one round trip after another), same service
 * otherwise. Two ways in: readings published while the service runs (the
 * producer shares this process), and a backlog the service drains on start.
 */
const READINGS = Number(process.env.BENCH_READINGS ?? 100_000);
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BATCH = 500;
const PER_DELIVERY = Math.ceil(READINGS / DELIVERIES);

type Mode = NonNullable<DeliveryDeps['telemetryIngest']>;
type Phase = (typeof DRONE_PHASES)[number];
const logger = createLogger('delivery', 'silent');

function phaseAt(seq: number): Phase {
  if (seq === PER_DELIVERY - 1) return 'DELIVERED';
  const progress = seq / PER_DELIVERY;
  return progress < 0.02 ? 'TO_PICKUP' : progress < 0.1 ? 'PICKED_UP' : 'IN_TRANSIT';
}

/** Interleaved like a fleet: reading i belongs to delivery i % N, seq i / N. */
function readings(bus: RedisClient, deliveryIds: string[]): Envelope[] {
  const drones = createPublisher({ redis: bus, service: 'drone-sim' });
  const out: Envelope[] = [];
  for (let seq = 0; seq < PER_DELIVERY; seq++) {
    deliveryIds.forEach((deliveryId, index) => {
      const fraction = seq / PER_DELIVERY;
      out.push(drones.envelope(DroneTelemetry, {
        droneId: `drone-${index}`, deliveryId, seq, at: new Date(Date.UTC(2030, 0, 1) + seq * 1_000).toISOString(),
        position: { lat: 55.95 + fraction * 0.05, lon: -3.19 + (index % 50) * 0.001 }, batteryPct: 100 - fraction * 50, speedMps: 15,
        phase: phaseAt(seq),
      }));
    });
  }
  return out;
}

async function createDeliveries(bus: RedisClient): Promise<string[]> {
  const packages = createPublisher({ redis: bus, service: 'package' });
  const envelopes = Array.from({ length: DELIVERIES }, (_, index) => packages.envelope(PackageCreated, {
    packageId: randomUUID(), orderId: randomUUID(), userId: randomUUID(), size: 'SMALL', weightGrams: 900, tags: ['bench'],
    items: [{ productId: randomUUID(), quantity: 1 }], pickup: { lat: 55.95, lon: -3.19 + index * 0.001 }, dropoff: { lat: 56, lon: -3.19 },
  }));
  await packages.publishEnvelopes(envelopes);
  return envelopes.map((envelope) => deriveEventId((envelope.data as { packageId: string }).packageId, 'delivery'));
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function allDone(store: RedisClient, deliveryIds: string[]): Promise<boolean> {
  const seqs = await Promise.all(deliveryIds.map((id) => store.sendCommand<string | null>(['HGET', deliveryKeys.delivery(id), 'seq'])));
  return seqs.every((seq) => Number(seq) === PER_DELIVERY - 1);
}

async function caughtUp(bus: RedisClient, stream: string): Promise<boolean> {
  const group = (await groupsOf(bus, stream)).find((info) => info.name === 'delivery');
  return group !== undefined && group.lag === 0 && group.pending === 0;
}

/** Returns readings/s, and checks the outcome: every delivery DELIVERED, four status events each. */
async function run(bus: RedisClient, store: RedisClient, mode: Mode, backlog: boolean): Promise<number> {
  await Promise.all([bus.sendCommand(['FLUSHALL']), store.sendCommand(['FLUSHALL'])]);
  const start = () => startDelivery({
    bus, store, logger, instance: `bench-${mode}`, telemetryIngest: mode, consumer: { blockMs: 50 },
    watchdog: { timeoutMs: 3_600_000, intervalMs: 3_600_000 },
  });
  let service = await start();
  const deliveryIds = await createDeliveries(bus);
  await until(() => caughtUp(bus, PackageCreated.stream));
  const envelopes = readings(bus, deliveryIds);
  const drones = createPublisher({ redis: bus, service: 'drone-sim' });

  let started: number;
  if (backlog) {
    await service.close();
    for (let i = 0; i < envelopes.length; i += BATCH) await drones.publishEnvelopes(envelopes.slice(i, i + BATCH));
    started = performance.now();
    service = await start();
  } else {
    started = performance.now();
    for (let i = 0; i < envelopes.length; i += BATCH) await drones.publishEnvelopes(envelopes.slice(i, i + BATCH));
  }
  await until(() => allDone(store, deliveryIds));
  const elapsed = performance.now() - started;
  await until(() => caughtUp(bus, DroneTelemetry.stream));
  await service.close();

  const events = Number(await bus.sendCommand(['XLEN', streamKeys.events('delivery')]));
  const expected = DELIVERIES * 5; // DeliveryScheduled + CREATED, PICKED_UP, IN_TRANSIT, DELIVERED
  if (events !== expected) throw new Error(`${mode}: ${events} delivery events, expected ${expected}`);
  return (envelopes.length / elapsed) * 1_000;
}

export async function benchTelemetryIngest(): Promise<void> {
  const [busServer, storeServer] = await Promise.all([startRedisServer(), startRedisServer()]);
  const bus = await connectRedis(busServer.url);
  const store = await connectRedis(storeServer.url);
  try {
    const scenarios = [
      { label: 'published while running', backlog: false },
      { label: 'backlog drained on start', backlog: true },
    ];
    const modes: Array<{ mode: Mode; label: string }> = [
      { mode: 'one-by-one', label: 'per reading: on() (one round trip after another)' },
      { mode: 'pipelined', label: 'pipelined: onBatch() (one pipeline per read)' },
    ];
    // Warm-up (JIT, script cache), then alternate modes: fair to both on a shared machine.
    await run(bus, store, 'pipelined', false);
    const results = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of scenarios) {
        for (const { mode } of modes) {
          const key = `${mode}|${scenario.backlog}`;
          results.set(key, [...(results.get(key) ?? []), await run(bus, store, mode, scenario.backlog)]);
        }
      }
    }
    const rows: string[][] = [];
    for (const scenario of scenarios) {
      const baseline = Math.max(...(results.get(`one-by-one|${scenario.backlog}`) ?? [1]));
      for (const { mode, label } of modes) {
        const runs = results.get(`${mode}|${scenario.backlog}`) ?? [];
        const best = Math.max(...runs);
        rows.push([scenario.label, label, best.toFixed(0), runs.map((value) => value.toFixed(0)).join(' / '), (best / baseline).toFixed(2)]);
      }
    }
    printTable(
      `telemetry ingest: ${PER_DELIVERY * DELIVERIES} readings over ${DELIVERIES} deliveries, read batch ${BATCH}, XADD -> state in Redis (every delivery at its last seq), delivery service in-process, bus and store redis-servers`,
      ['readings', 'handler', `readings/s (best of ${ROUNDS})`, 'all runs', 'ratio to per reading'],
      rows,
    );
  } finally {
    await bus.close();
    await store.close();
    await busServer.stop();
    await storeServer.stop();
  }
}
