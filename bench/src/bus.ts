import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connectRedis, createConsumer, createPublisher, defineEvent, Type, type RedisClient } from 'tributary';
import { startRedisServer } from 'tributary/testing';
import { printTable } from './table.ts';

/**
 * The kit's bus end to end (publish → validate → handle → ack) against a bare
 * node-redis loop sending the same commands, on the same Redis, same batch.
 */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const BATCH = 500;
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const payload = (i: number) => ({ orderId: `order-${i}`, userId: `user-${i % 100}`, totalCents: i * 7 });

const BenchEvent = defineEvent({
  source: 'bench',
  type: 'BenchOrderPlaced',
  schema: Type.Object({ orderId: Type.String(), userId: Type.String(), totalCents: Type.Integer({ minimum: 0 }) }),
});

export async function kitRun(redis: RedisClient, round: number): Promise<number> {
  const publisher = createPublisher({ redis, service: 'bench' });
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = createConsumer({ redis, stream: publisher.stream, group: `kit-${round}`, consumer: 'bench-1', batchSize: BATCH, startFrom: '$' })
    .on(BenchEvent, async () => {
      if (++handled === MESSAGES) done();
    });
  await consumer.start();
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += BATCH) {
    const envelopes = [];
    for (let j = i; j < Math.min(i + BATCH, MESSAGES); j++) envelopes.push(publisher.envelope(BenchEvent, payload(j)));
    await publisher.publishEnvelopes(envelopes);
  }
  await finished;
  const elapsed = performance.now() - started;
  await consumer.close();
  await redis.del(publisher.stream);
  return (MESSAGES / elapsed) * 1000;
}

async function bareRun(redis: RedisClient, round: number): Promise<number> {
  const stream = `bare-${round}`;
  const group = 'bare';
  await redis.sendCommand(['XGROUP', 'CREATE', stream, group, '$', 'MKSTREAM']);
  const reader = redis.duplicate();
  await reader.connect();
  let handled = 0;
  const consume = (async () => {
    while (handled < MESSAGES) {
      const reply = await reader.sendCommand<Array<[string, Array<[string, string[]]>]> | null>([
        'XREADGROUP', 'GROUP', group, 'c1', 'COUNT', String(BATCH), 'BLOCK', '1000', 'STREAMS', stream, '>',
      ]);
      const entries = reply?.[0]?.[1] ?? [];
      const ids: string[] = [];
      for (const [id, fields] of entries) {
        JSON.parse(fields[fields.indexOf('data') + 1] as string);
        ids.push(id);
        handled++;
      }
      if (ids.length) await reader.sendCommand(['XACK', stream, group, ...ids]);
    }
  })();
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += BATCH) {
    const adds = [];
    for (let j = i; j < Math.min(i + BATCH, MESSAGES); j++) {
      // The same fields the kit's envelope carries, so both sides send the same bytes.
      adds.push(
        redis.sendCommand([
          'XADD', stream, '*', 'id', randomUUID(), 'type', 'BenchOrderPlaced', 'version', '1', 'time', new Date().toISOString(),
          'source', 'bench', 'correlationId', `c-${j}`, 'causationId', '', 'traceparent', traceparent, 'data', JSON.stringify(payload(j)),
        ]),
      );
    }
    await Promise.all(adds);
  }
  await consume;
  const elapsed = performance.now() - started;
  await reader.close();
  await redis.del(stream);
  return (MESSAGES / elapsed) * 1000;
}

function redisBenchmark(port: number): number | null {
  const run = spawnSync('redis-benchmark', ['-p', String(port), '-n', String(MESSAGES), '-P', String(BATCH), '-q', 'XADD', 'rb', '*', 'data', '{"orderId":"order-1"}'], { encoding: 'utf8' });
  const match = /([\d.]+) requests per second/.exec(run.stdout ?? '');
  return match ? Number(match[1]) : null;
}

export async function benchBus(): Promise<void> {
  const server = await startRedisServer();
  const redis = await connectRedis(server.url);
  try {
    const kit: number[] = [];
    const bare: number[] = [];
    // Alternate, warm up once, keep the best of three: fair to both on a shared machine.
    await kitRun(redis, 0);
    await bareRun(redis, 0);
    for (let round = 1; round <= 3; round++) {
      bare.push(await bareRun(redis, round));
      kit.push(await kitRun(redis, round));
    }
    const kitBest = Math.max(...kit);
    const bareBest = Math.max(...bare);
    const xadd = redisBenchmark(server.port);
    printTable(`bus: ${MESSAGES} messages, batch ${BATCH}, one Redis ${server.url}`, ['path', 'msgs/s (best of 3)', 'all runs', 'ratio to bare'], [
      ['bare node-redis loop (XADD → XREADGROUP → JSON.parse → XACK)', bareBest.toFixed(0), bare.map((v) => v.toFixed(0)).join(' / '), '1.00'],
      ['tributary kit (publish+validate → consume+validate → handle → ack)', kitBest.toFixed(0), kit.map((v) => v.toFixed(0)).join(' / '), (kitBest / bareBest).toFixed(2)],
      ['redis-benchmark XADD only (-P 500), reference', xadd === null ? 'n/a' : xadd.toFixed(0), '', ''],
    ]);
  } finally {
    await redis.close();
    await server.stop();
  }
}
