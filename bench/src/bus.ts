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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const payload = (i: number) => ({ orderId: `order-${i}`, userId: `user-${i % 100}`, totalCents: i * 7 });

const BenchEvent = defineEvent({
  source: 'bench',
  type: 'BenchOrderPlaced',
  schema: Type.Object({ orderId: Type.String(), userId: Type.String(), totalCents: Type.Integer({ minimum: 0 }) }),
});

/** Messages a second, and this process's CPU (user + system) per message: the steadier figure on a shared machine. */
export interface BusRun {
  rate: number;
  cpuUsPerMessage: number;
}

function measured(started: number, cpu: NodeJS.CpuUsage): BusRun {
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { rate: (MESSAGES / elapsed) * 1000, cpuUsPerMessage: (used.user + used.system) / MESSAGES };
}

export async function kitRun(redis: RedisClient, round: number): Promise<BusRun> {
  const publisher = createPublisher({ redis, service: 'bench' });
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = createConsumer({ redis, stream: publisher.stream, group: `kit-${round}`, consumer: 'bench-1', batchSize: BATCH, startFrom: '$' })
    .on(BenchEvent, async () => {
      if (++handled === MESSAGES) done();
    });
  await consumer.start();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += BATCH) {
    const envelopes = [];
    for (let j = i; j < Math.min(i + BATCH, MESSAGES); j++) envelopes.push(publisher.envelope(BenchEvent, payload(j)));
    await publisher.publishEnvelopes(envelopes);
  }
  await finished;
  const run = measured(started, cpu);
  await consumer.close();
  await redis.del(publisher.stream);
  return run;
}

async function bareRun(redis: RedisClient, round: number): Promise<BusRun> {
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
  const cpu = process.cpuUsage();
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
  const run = measured(started, cpu);
  await reader.close();
  await redis.del(stream);
  return run;
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
    const kit: BusRun[] = [];
    const bare: BusRun[] = [];
    // Alternate, warm up once; rounds in pairs (bare, then kit), so that each pair saw about the same machine.
    await kitRun(redis, 0);
    await bareRun(redis, 0);
    for (let round = 1; round <= ROUNDS; round++) {
      bare.push(await bareRun(redis, round));
      kit.push(await kitRun(redis, round));
    }
    const best = (runs: BusRun[]) => Math.max(...runs.map((run) => run.rate));
    const all = (runs: BusRun[]) => runs.map((run) => run.rate.toFixed(0)).join(' / ');
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    // This VM's speed moves by ±15 % from one minute to the next: the ratio within each pair, then their median.
    const pairedRate = median(kit.map((run, i) => run.rate / (bare[i] as BusRun).rate));
    const pairedCpu = median(kit.map((run, i) => run.cpuUsPerMessage / (bare[i] as BusRun).cpuUsPerMessage));
    const medianCpu = (runs: BusRun[]) => median(runs.map((run) => run.cpuUsPerMessage));
    const xadd = redisBenchmark(server.port);
    printTable(`bus: ${MESSAGES} messages, batch ${BATCH}, one Redis ${server.url}, ${ROUNDS} rounds`, [
      'path', `msgs/s (best of ${ROUNDS})`, 'all runs', 'ratio to bare (best)', 'ratio to bare (median of pairs)', 'CPU µs/msg (this process, median)', 'CPU ratio (median of pairs)',
    ], [
      ['bare node-redis loop (XADD → XREADGROUP → JSON.parse → XACK)', best(bare).toFixed(0), all(bare), '1.00', '1.00', medianCpu(bare).toFixed(2), '1.00'],
      ['tributary kit (publish+validate → consume+validate → handle → ack)', best(kit).toFixed(0), all(kit), (best(kit) / best(bare)).toFixed(2), pairedRate.toFixed(2), medianCpu(kit).toFixed(2), pairedCpu.toFixed(2)],
      ['redis-benchmark XADD only (-P 500), reference', xadd === null ? 'n/a' : xadd.toFixed(0), '', '', '', '', ''],
    ]);
  } finally {
    await redis.close();
    await server.stop();
  }
}
