import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectRedis } from 'tributary';
import { startRedisServer } from 'tributary/testing';
import { initTracing } from 'tributary/telemetry';
import { kitRun } from './bus.ts';
import { printTable } from './table.ts';

/**
 * What tracing costs on the kit's hot path: the bus benchmark's kit run
 * (publish → consume → validate → handle → ack), in a fresh process per
 * setting because tracing is process-wide: off, and on with sample ratios
 * 0, 0.1 (the default) and 1. Every event starts its own trace here, so at
 * ratio 1 each one gets a handler span (and each batch an XADD span): the
 * worst case, a span with no work in it.
 */
const SETTINGS: Array<{ label: string; ratio: string | null }> = [
  { label: 'tracing off', ratio: null },
  { label: 'tracing on, sample ratio 0', ratio: '0' },
  { label: 'tracing on, sample ratio 0.1 (default)', ratio: '0.1' },
  { label: 'tracing on, sample ratio 1 (every event)', ratio: '1' },
];
const ROUNDS = 3;

/** One setting's runs, in this process (the child side). */
async function runSetting(): Promise<void> {
  const ratio = process.env.BENCH_TRACE_RATIO;
  if (ratio) initTracing({ service: 'bench', env: {}, sampleRatio: Number(ratio), maxTracesPerSecond: 0 });
  const server = await startRedisServer();
  const redis = await connectRedis(server.url);
  try {
    await kitRun(redis, 0);
    const rates: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) rates.push((await kitRun(redis, round)).rate);
    console.log(JSON.stringify(rates));
  } finally {
    await redis.close();
    await server.stop();
  }
}

export async function benchTracing(): Promise<void> {
  const rows: string[][] = [];
  let off = 0;
  for (const setting of SETTINGS) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_TRACING_CHILD: '1', ...(setting.ratio === null ? {} : { BENCH_TRACE_RATIO: setting.ratio }) },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`tracing bench child failed: ${child.stderr}`);
    const rates = JSON.parse(child.stdout.trim().split('\n').pop() as string) as number[];
    const best = Math.max(...rates);
    if (setting.ratio === null) off = best;
    rows.push([setting.label, best.toFixed(0), rates.map((rate) => rate.toFixed(0)).join(' / '), (best / off).toFixed(2)]);
  }
  printTable(`tracing cost on the bus kit path: ${process.env.BENCH_MESSAGES ?? 100_000} messages, batch 500`, ['setting', 'msgs/s (best of 3)', 'all runs', 'ratio to off'], rows);
}

if (process.env.BENCH_TRACING_CHILD) await runSetting();
