import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { connectRedis, type RedisClient } from 'tributary';
import { activeActiveScripts, createRegion, createReplicator, type Region } from 'tributary/activeactive';
import { startRedisServer, waitFor, type RedisServer } from 'tributary/testing';
import { printTable } from './table.ts';

/**
 * Active/Active on open-source Redis, two regions on two redis-servers of
 * this machine:
 *  1. replication lag: a steady write rate on region a, a replicator a → b
 *     running; per entry, the time from its entry id (when a applied it) to
 *     b applying it, to the millisecond (the ids' resolution);
 *  2. the book's Figure 4-4: one hot counter written by many clients, all on
 *     one region, or split over two regions (then synced: both must read the
 *     total). redis-benchmark drives the counter script by EVALSHA, so the
 *     servers, not a Node client, are what is measured.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_AA_RATES ?? '1000,5000').split(',').map(Number);
const HOT_REQUESTS = Number(process.env.BENCH_AA_REQUESTS ?? 200_000);
const CLIENTS = 8;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const load = () => loadavg()[0]?.toFixed(2) ?? '?';

interface Pair {
  servers: RedisServer[];
  clients: RedisClient[];
  a: Region;
  b: Region;
}

async function startPair(prefix: string): Promise<Pair> {
  const servers = await Promise.all([startRedisServer(), startRedisServer()]);
  const clients = await Promise.all(servers.map((server) => connectRedis(server.url)));
  const [ra, rb] = clients as [RedisClient, RedisClient];
  return { servers, clients, a: createRegion({ redis: ra, region: 'a', prefix }), b: createRegion({ redis: rb, region: 'b', prefix }) };
}

async function stopPair(pair: Pair): Promise<void> {
  await Promise.all(pair.clients.map((client) => client.close()));
  await Promise.all(pair.servers.map((server) => server.stop()));
}

async function lagAt(rate: number): Promise<string[]> {
  const pair = await startPair(`lag-${rate}`);
  const lags: number[] = [];
  const replicator = createReplicator({
    source: { region: 'a', redis: pair.a.redis },
    target: pair.b,
    onApplied: ({ entryIds }) => {
      const now = Date.now();
      for (const id of entryIds) lags.push(now - Number(id.split('-')[0]));
    },
  });
  replicator.start();
  try {
    const loadBefore = load();
    // Every 10 ms, the writes due by now: a steady rate without a busy loop.
    const started = performance.now();
    let written = 0;
    const pending: Array<Promise<unknown>> = [];
    while (performance.now() - started < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      for (; written < due; written++) pending.push(pair.a.incrBy('hits', 1));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(pending);
    await waitFor(async () => (await pair.b.counter('hits')) === written, { timeoutMs: 30_000, description: 'b caught up' });
    lags.sort((x, y) => x - y);
    return [String(rate), String(written), `${percentile(lags, 50)}`, `${percentile(lags, 99)}`, `${lags.at(-1) ?? 0}`, loadBefore];
  } finally {
    await replicator.close();
    await stopPair(pair);
  }
}

/** redis-benchmark sending the counter script's local INCRBY 1 of `foo` to one server; resolves when it is done. */
function hammer(server: RedisServer, region: Region, requests: number, clients: number): Promise<void> {
  // The last key is the operation marker, untouched without an operation id.
  const keys = [region.keys.log, region.keys.value('foo'), region.keys.meta('foo'), region.keys.operation('')];
  const args = ['-h', '127.0.0.1', '-p', String(server.port), '-n', String(requests), '-c', String(clients), '-P', '16', '-q',
    'EVALSHA', activeActiveScripts.counter.sha, String(keys.length), ...keys, 'local', region.id, '', '', 'foo', '1'];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-benchmark exited ${code}: ${errors}`))));
  });
}

async function hotCounter(regions: 1 | 2): Promise<string[]> {
  const pair = await startPair(`hot-${regions}`);
  try {
    for (const region of [pair.a, pair.b]) await region.redis.sendCommand(['SCRIPT', 'LOAD', activeActiveScripts.counter.source]);
    const loadBefore = load();
    const used = regions === 1 ? [pair.a] : [pair.a, pair.b];
    const started = performance.now();
    await Promise.all(used.map((region, i) => hammer(pair.servers[i] as RedisServer, region, HOT_REQUESTS / regions, CLIENTS / regions)));
    const seconds = (performance.now() - started) / 1000;
    const syncStarted = performance.now();
    await createReplicator({ source: { region: 'a', redis: pair.a.redis }, target: pair.b }).syncOnce();
    await createReplicator({ source: { region: 'b', redis: pair.b.redis }, target: pair.a }).syncOnce();
    const syncSeconds = (performance.now() - syncStarted) / 1000;
    const [valueA, valueB] = [await pair.a.counter('foo'), await pair.b.counter('foo')];
    if (valueA !== HOT_REQUESTS || valueB !== HOT_REQUESTS) throw new Error(`hot counter diverged: a ${valueA}, b ${valueB}, expected ${HOT_REQUESTS}`);
    return [
      regions === 1 ? `one region, ${CLIENTS} clients` : `two regions, ${CLIENTS / 2} clients each`,
      String(HOT_REQUESTS),
      (HOT_REQUESTS / seconds).toFixed(0),
      syncSeconds.toFixed(2),
      `${valueA} / ${valueB}`,
      loadBefore,
    ];
  } finally {
    await stopPair(pair);
  }
}

export async function benchActiveActive(): Promise<void> {
  const lagRows: string[][] = [];
  for (const rate of RATES) lagRows.push(await lagAt(rate));
  printTable(
    `Active/Active replication lag a -> b, ${SECONDS} s of INCRBY at a steady rate, replicator running (ms, entry-id resolution)`,
    ['writes/s', 'writes', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'load avg before'],
    lagRows,
  );
  const hotRows = [await hotCounter(1), await hotCounter(2)];
  printTable(
    `Figure 4-4: one hot counter "foo", ${HOT_REQUESTS} INCRBY 1 by redis-benchmark (EVALSHA of the counter script, pipelined 16), then a sync`,
    ['layout', 'requests', 'writes/s', 'sync s', 'foo after sync (a / b)', 'load avg before'],
    hotRows,
  );
}
