import { connectRedis, createPublisher, Type, trimStream, type RedisClient } from 'tributary';
import { createQueue, queueKeys, sweepQueue } from 'tributary/queue';
import { createLogger } from 'tributary/service';
import { openDatabase, type SqlDatabase } from 'tributary/sql';
import { startRedisServer } from 'tributary/testing';
import { createCheckoutSweep, sweepDefaults } from '../../services/basket/src/handlers/sweep.ts';
import { createBasketStore } from '../../services/basket/src/store/basket-store.ts';
import { basketKeys } from '../../services/basket/src/store/keys.ts';
import { createSilenceWatchdog, watchdogDefaults } from '../../services/delivery/src/handlers/watchdog.ts';
import { createDeliveryStore } from '../../services/delivery/src/store/deliveries.ts';
import { createFleetStore } from '../../services/delivery/src/store/fleet.ts';
import { deliveryKeys, fleetShard } from '../../services/delivery/src/store/keys.ts';
import { createArchiver } from '../../services/delivery-history/src/archiver.ts';
import { claimBatch } from '../../services/delivery-history/src/store/lake-batches.ts';
import { installSchema } from '../../services/delivery-history/src/store/schema.ts';
import { printTable } from './table.ts';

/**
 * The other periodic jobs, one run each with 100 and with 100,000 stored
 * items of which none is due: what a run costs while the system idles on
 * a big store. Fastest and median of BENCH_SWEEP_RUNS (20) runs after two warm-ups.
 */
const SIZES = [100, 100_000];
const RUNS = Number(process.env.BENCH_SWEEP_RUNS ?? 20);
const logger = createLogger('bench', 'silent');

/** Fastest and median of RUNS runs: on a shared machine waiting for a core only ever adds, so the fastest is the job's own cost. */
async function timeRuns(run: () => Promise<unknown>): Promise<{ fastest: number; median: number }> {
  for (let i = 0; i < 2; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { fastest: times[0] as number, median: times[Math.floor(times.length / 2)] as number };
}

/** Sends commands in pipelined chunks (node-redis pipelines what is issued in one tick). */
async function inChunks(count: number, command: (index: number) => string[], redis: RedisClient): Promise<void> {
  for (let i = 0; i < count; i += 5_000) {
    await Promise.all(Array.from({ length: Math.min(5_000, count - i) }, (_, offset) => redis.sendCommand(command(i + offset))));
  }
}

type Job = { name: string; stored: string; prepare(redis: RedisClient, size: number): Promise<() => Promise<unknown>> };

const later = () => String(Date.now() + 3_600_000);

const redisJobs: Job[] = [
  {
    name: 'delivery watchdog',
    stored: 'deliveries in flight, none due',
    async prepare(redis, size) {
      await inChunks(size, (i) => ['ZADD', deliveryKeys.due(fleetShard(`d-${i}`)), later(), `d-${i}`], redis);
      const watchdog = createSilenceWatchdog({
        deliveries: createDeliveryStore(redis), fleet: createFleetStore(redis), publisher: createPublisher({ redis, service: 'delivery' }),
        logger, options: watchdogDefaults,
      });
      return () => watchdog.runOnce();
    },
  },
  {
    name: 'basket checkout sweep',
    stored: 'pending checkouts, none due',
    async prepare(redis, size) {
      await inChunks(size, (i) => ['ZADD', basketKeys.checkoutsDue(), later(), `u-${i}`], redis);
      const sweep = createCheckoutSweep({ basket: createBasketStore(redis, { ttlSeconds: 3_600 }), publish: async () => undefined, logger, options: sweepDefaults });
      return () => sweep.sweepOnce();
    },
  },
  {
    name: 'kit queue sweep',
    stored: 'pending items, one live worker',
    async prepare(redis, size) {
      const queue = createQueue({ redis, name: 'bench', schema: Type.Object({ n: Type.Integer() }) });
      for (let i = 0; i < size; i += 2_000) await Promise.all(Array.from({ length: Math.min(2_000, size - i) }, (_, offset) => queue.push({ n: i + offset })));
      const keys = queueKeys('bench');
      await redis.sendCommand(['SADD', keys.workers, 'worker-1']);
      await redis.sendCommand(['SET', keys.heartbeat('worker-1'), '1', 'PX', '3600000']);
      return () => sweepQueue(redis, 'bench');
    },
  },
  {
    name: 'stream trimmer',
    stored: 'entries, all pending for a group',
    async prepare(redis, size) {
      await inChunks(size, (i) => ['XADD', 'bench:events', '*', 'n', String(i)], redis);
      await redis.sendCommand(['XGROUP', 'CREATE', 'bench:events', 'g', '0']);
      await redis.sendCommand(['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', String(size), 'STREAMS', 'bench:events', '>']);
      return () => trimStream(redis, 'bench:events');
    },
  },
];

/** Finished deliveries, all written to the lake, none old enough to archive. */
async function fillHistory(db: SqlDatabase, size: number): Promise<void> {
  await installSchema(db);
  await db.query(`INSERT INTO lake_batches (batch_id, records, written_at) SELECT 'b' || g, 500, now() FROM generate_series(0, $1::int) AS g`, [Math.ceil(size / 500) - 1]);
  await db.query(
    `INSERT INTO deliveries (delivery_id, package_id, order_id, status, steps, started_at, finished_at, duration_seconds, lake_batch)
     SELECT 'd' || g, 'p' || g, 'o' || g, 'DELIVERED', '[]'::jsonb, now() - interval '2 hours', now() - (g % 1000) * interval '1 second', 600, 'b' || (g / 500)
     FROM generate_series(0, $1::int - 1) AS g`,
    [size],
  );
  await db.query('ANALYZE');
}

const sqlJobs: Array<{ name: string; stored: string; run(db: SqlDatabase): Promise<unknown> }> = [
  { name: 'history archiver', stored: 'records in the lake, none old', run: (db) => createArchiver({ db, olderThanDays: 30 }).archive() },
  { name: 'history lake writer (claim)', stored: 'records in the lake, none waiting', run: (db) => claimBatch(db, { size: 500, resumeAfterMs: 30_000 }) },
];

function row(name: string, stored: string, times: Array<{ fastest: number; median: number }>): string[] {
  const [small, big] = times as [{ fastest: number; median: number }, { fastest: number; median: number }];
  const cell = (time: { fastest: number; median: number }) => `${time.fastest.toFixed(2)} / ${time.median.toFixed(2)}`;
  return [name, stored, cell(small), cell(big), (big.fastest / small.fastest).toFixed(2)];
}

export async function benchSweeps(): Promise<void> {
  const server = await startRedisServer();
  const redis = await connectRedis(server.url);
  const rows: string[][] = [];
  try {
    for (const job of redisJobs) {
      const times: Array<{ fastest: number; median: number }> = [];
      for (const size of SIZES) {
        await redis.sendCommand(['FLUSHALL']);
        times.push(await timeRuns(await job.prepare(redis, size)));
      }
      rows.push(row(job.name, job.stored, times));
    }
  } finally {
    await redis.close();
    await server.stop();
  }
  for (const job of sqlJobs) {
    const times: Array<{ fastest: number; median: number }> = [];
    for (const size of SIZES) {
      const db = await openDatabase('memory://');
      try {
        await fillHistory(db, size);
        times.push(await timeRuns(() => job.run(db)));
      } finally {
        await db.close();
      }
    }
    rows.push(row(job.name, `${job.stored} (PGlite)`, times));
  }
  printTable(
    `Periodic jobs: one run, ms, fastest / median of ${RUNS}, with 100 and 100,000 stored items, none due`,
    ['job', 'stored items', '100', '100,000', 'ratio of fastest'],
    rows,
  );
}
