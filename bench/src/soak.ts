import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SERVICES, startSystem, type RunningSystem } from '@tributary/launcher';
import { connectRedis, groupsOf, type RedisClient } from 'tributary';
import { freePort } from 'tributary/testing';
import { runLoad } from './system.ts';
import { printTable } from './table.ts';

/**
 * `npm run bench -- soak`: the whole system under steady load for
 * BENCH_SOAK_MINUTES (default 30), sampled every BENCH_SOAK_SAMPLE_SECONDS
 * (default 30): RSS per process, Redis used_memory and keys per prefix on
 * both servers, every stream's length, every table's rows and each SQL
 * service's size. Orders come from `tributary load --rate` at half the
 * maximum: unless BENCH_SOAK_RATE says otherwise, the soak first starts the
 * system as `npm start` does and measures its saturation with a closed loop
 * of 64 clients for BENCH_SOAK_PROBE_SECONDS (default 30), on this machine
 * and today, because a figure written down goes stale as the code and the
 * machine change. Drones fly every shipped order; basket checkouts and
 * lending requests and returns run beside it. Fails when a bookkeeping
 * figure grows more than 10% from the baseline sample (minute 10, or a
 * third of a shorter run) to the end. Retention windows are shortened so a
 * soak sees them turn over: markers and idempotency keys 5 minutes
 * (BENCH_SOAK_RETENTION_MS), streams 2 minutes (the default;
 * BENCH_SOAK_STREAM_RETENTION_MS). A short run needs shorter windows too,
 * or it ends before anything was old enough to go.
 *
 * The drones are sized for the rate, or deliveries pile up until their wait
 * limit and the delivery figures never settle: time runs 200× (a flight of
 * 2–16 km takes about 3 wall seconds) with four drones per order a second
 * (BENCH_SOAK_DRONES, BENCH_SOAK_DRONE_TIME_SCALE).
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 30);
const SAMPLE_SECONDS = Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? 30);
const PROBE_SECONDS = Number(process.env.BENCH_SOAK_PROBE_SECONDS ?? 30);
const RETENTION_MS = Number(process.env.BENCH_SOAK_RETENTION_MS ?? 300_000);
const STREAM_RETENTION_MS = Number(process.env.BENCH_SOAK_STREAM_RETENTION_MS ?? 120_000);
const READY_TIMEOUT_MS = Number(process.env.BENCH_READY_TIMEOUT_MS ?? 300_000);
const DRONE_TIME_SCALE = Number(process.env.BENCH_SOAK_DRONE_TIME_SCALE ?? 200);
const ADMIN_KEY = randomBytes(16).toString('hex');
const SQL_SERVICES = ['accounts', 'catalog', 'ordering', 'package', 'delivery-history'] as const;

/** One sample: figure name → value. */
type Sample = { atMs: number; figures: Map<string, number> };

/**
 * What a figure is, for the verdict. `data`: what the system is asked to keep
 * (orders, their history, mails, packages, deliveries, users, products): it
 * grows with the load by design. `ttl`: Redis keys that expire after days
 * (handled markers with HANDLED_TTL_SECONDS, outcome hashes): bounded, but
 * not within a soak. Everything else is bookkeeping and must stay flat.
 */
function kindOf(figure: string): 'data' | 'ttl' | 'backlog' | 'heap' | 'bookkeeping' {
  if (/^rows (ordering\.(orders|order_history|customers|catalog_products)|accounts\.(users|reservations)|catalog\.products|package\.packages|delivery-history\.(delivery_steps|deliveries|lake_batches))$/.test(figure)) return 'data';
  if (/^db bytes /.test(figure)) return 'data';
  // Mails, recipients, baskets, deliveries, stock, the library's state: what the services are there to keep.
  if (/^keys store (mailing:\{(mails|recipients)\}|basket:\*$|delivery:\*$|fulfillment:product|catalog:|order-monitoring:leaderboard)/.test(figure)) return 'data';
  if (/^keys bus lending:(lent|storage|user|\{lending:storage\}:lent|\{user:)/.test(figure) && !/:step:/.test(figure)) return 'data';
  // Keys with a TTL the soak does not shorten (LENDING_OUTCOME_TTL_SECONDS, with lending's step markers; order lines: days; delivery's fleet markers: an hour).
  // Handled markers, delivery's `scheduled` among them, are judged: their TTL is HANDLED_MARKER_RETENTION_MS, shortened here.
  if (/^keys \w+ .*(:flight:|order-monitoring:order-lines|lending:request:\*$|lending:\{lending:events\}:request:\*$|lending:\{user:\*:step:\*$|lending:\{lending:storage\}:settled:\*$)/.test(figure)) return 'ttl';
  if (/^keys store basket:product:\*$/.test(figure)) return 'data';
  // The sum of all of the above, and the servers' size with it: it follows the data.
  if (/^redis (bus|store) used_memory$/.test(figure) || /^rss redis-/.test(figure)) return 'ttl';
  // Every process together: the PGlite databases and the Redis servers' data are in it.
  if (figure === 'rss total') return 'data';
  // A stream is judged through its `… less backlog` row: entries a group has still to read are work behind, shown apart.
  if (/^backlog /.test(figure)) return 'backlog';
  if (/^heap /.test(figure)) return 'heap';
  if (/^stream \w+ \S+$/.test(figure)) return 'backlog';
  // A process holding a PGlite database (the soak runs the defaults: PGlite for every SQL service) is judged
  // through its `… less PGlite data` row.
  if (/^rss (service-host|accounts|catalog|ordering|package|delivery-history)$/.test(figure)) return 'data';
  return 'bookkeeping';
}

/** A key's family: its name with every part that holds a digit (an id) replaced by `*`, `fulfillment:handled:ordering:*`. */
function familyOf(key: string): string {
  return key
    .split(':')
    .slice(0, 5)
    .map((part) => (/\d/.test(part) ? '*' : part))
    .join(':')
    .replace(/(:\*)+/g, ':*');
}

function rssOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Keys per family (familyOf) and every stream's length, by SCAN. */
async function redisFigures(redis: RedisClient, role: string, figures: Map<string, number>): Promise<void> {
  const info = await redis.sendCommand<string>(['INFO', 'memory']);
  figures.set(`redis ${role} used_memory`, Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
  const prefixes = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.sendCommand<[string, string[]]>(['SCAN', cursor, 'COUNT', '1000']);
    cursor = next;
    for (const key of keys) {
      const prefix = familyOf(key);
      prefixes.set(prefix, (prefixes.get(prefix) ?? 0) + 1);
    }
  } while (cursor !== '0');
  for (const [prefix, count] of prefixes) figures.set(`keys ${role} ${prefix}`, count);
  cursor = '0';
  do {
    const [next, keys] = await redis.sendCommand<[string, string[]]>(['SCAN', cursor, 'COUNT', '1000', 'TYPE', 'stream']);
    cursor = next;
    for (const key of keys) {
      const length = Number(await redis.sendCommand(['XLEN', key]));
      // What the trimmer must keep because a group has not read or acked it yet: work still to do, not bookkeeping.
      const backlog = Math.max(0, ...(await groupsOf(redis, key)).map((group) => (group.lag ?? 0) + group.pending));
      figures.set(`stream ${role} ${key}`, length);
      figures.set(`backlog ${role} ${key}`, backlog);
      figures.set(`stream ${role} ${key} less backlog`, length - backlog);
    }
  } while (cursor !== '0');
}

async function sample(system: RunningSystem, bus: RedisClient, store: RedisClient): Promise<Sample> {
  const figures = new Map<string, number>();
  for (const service of SERVICES) {
    // A service running as a thread of the service host has no RSS of its own: the host's row has theirs together.
    if (system.threaded.includes(service)) continue;
    const rss = rssOf(system.process(service).pid);
    if (rss !== null) figures.set(`rss ${service}`, rss);
  }
  const host = rssOf(system.serviceHost()?.pid);
  if (host !== null) figures.set('rss service-host', host);
  for (const role of ['bus', 'store'] as const) {
    const rss = rssOf(system.redis(role)?.process.pid);
    if (rss !== null) figures.set(`rss redis-${role}`, rss);
  }
  figures.set('rss total', [...figures].reduce((sum, [name, bytes]) => (name.startsWith('rss ') ? sum + bytes : sum), 0));
  await redisFigures(bus, 'bus', figures);
  if (system.storeRedisUrl !== system.busRedisUrl) await redisFigures(store, 'store', figures);
  for (const service of SQL_SERVICES) {
    const response = await fetch(`${system.urls[service]}/database/stats`, { headers: { 'x-internal-key': system.internalKey } });
    if (!response.ok) throw new Error(`${service} /database/stats answered ${response.status}`);
    const stats = (await response.json()) as { tables: Record<string, number>; bytes: number };
    for (const [table, rows] of Object.entries(stats.tables)) figures.set(`rows ${service}.${table}`, rows);
    figures.set(`db bytes ${service}`, stats.bytes);
  }
  // Each service's V8 heap (every thread has its own), from its /healthz: tells a heap that grows from RSS
  // the allocator keeps. Shown, not judged: a sample lands anywhere between two collections.
  for (const service of SERVICES) {
    const health = await fetch(`${system.urls[service]}/healthz`).then((response) => response.json() as Promise<{ heapUsedBytes?: number }>).catch(() => null);
    if (typeof health?.heapUsedBytes === 'number') figures.set(`heap ${service}`, health.heapUsedBytes);
  }
  // A PGlite database lives in the memory of the process that holds it, and grows with the orders it keeps:
  // that process's RSS is judged less its databases' size, the part of it that is bookkeeping.
  const rssHolders = new Map<string, string[]>();
  for (const service of SQL_SERVICES) {
    const row = system.threaded.includes(service) ? 'rss service-host' : `rss ${service}`;
    rssHolders.set(row, [...(rssHolders.get(row) ?? []), service]);
  }
  for (const [row, services] of rssHolders) {
    const rss = figures.get(row);
    if (rss === undefined) continue;
    figures.set(`${row} less PGlite data`, rss - services.reduce((sum, service) => sum + (figures.get(`db bytes ${service}`) ?? 0), 0));
  }
  return { atMs: Date.now(), figures };
}

/** Basket checkouts and lending requests and returns beside the orders, a few a second, until `stop`. */
async function sideTraffic(base: string, stop: () => boolean): Promise<{ checkouts: number; lendings: number; errors: number }> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const run = randomBytes(3).toString('hex');
  const users: string[] = [];
  for (let i = 0; i < 4; i += 1) {
    const created = await call('POST', '/api/users', { name: `Soak ${run} ${i}`, email: `soak-${run}-${i}@example.com`, country: 'GB', balanceCents: 1_000_000_000 });
    if (created.status !== 201) throw new Error(`soak: cannot create a user (${created.status})`);
    users.push(String(created.body.id));
    await call('PATCH', `/api/users/${String(created.body.id)}`, { address: '1 Soak Street, London' });
  }
  const product = await call('POST', '/api/products', { sku: `SOAK-${run}`, name: `Soak tea ${run}`, priceCents: 100, stock: 100_000_000, bannedCountries: [] });
  if (product.status !== 201) throw new Error(`soak: cannot create a product (${product.status})`);
  const productId = String(product.body.id);
  const tally = { checkouts: 0, lendings: 0, errors: 0 };
  for (let round = 0; !stop(); round += 1) {
    const user = users[round % users.length] as string;
    try {
      // A basket's checkout (an order through basket's stream), then a lend and the return of the same books.
      const put = await call('PUT', `/api/baskets/${user}/items/${productId}`, { quantity: 1 });
      const checkout = put.status === 200 ? await call('POST', `/api/baskets/${user}/checkout`) : put;
      if (checkout.status === 202) tally.checkouts += 1;
      else tally.errors += 1;
      const books = [`soak-${run}-${round % 50}`];
      const lend = await call('POST', '/api/lending/requests', { userId: user, bookIds: books });
      const back = await call('POST', '/api/lending/returns', { userId: user, bookIds: books });
      if (lend.status === 202 && back.status === 202) tally.lendings += 1;
      else tally.errors += 1;
    } catch {
      tally.errors += 1;
    }
    await new Promise((done) => setTimeout(done, 500));
  }
  return tally;
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
const isBytes = (figure: string) => figure.startsWith('rss') || figure.startsWith('heap ') || figure.includes('used_memory') || figure.startsWith('db bytes');
const show = (figure: string, value: number | undefined) => (value === undefined ? '-' : isBytes(figure) ? mb(value) : String(value));

/**
 * The saturation of the system as `npm start` runs it (the defaults, ten
 * drones at their own pace), by a closed loop of 64 clients after a warm-up
 * of 200 orders as `npm run bench -- system` measures it,
 * in a system of its own: the soak's shortened windows and its fleet sized
 * for the rate are not what "the maximum" is measured with.
 */
async function probeSaturation(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-soak-probe-'));
  console.error(`soak: BENCH_SOAK_RATE unset: measuring the saturation first (${PROBE_SECONDS} s closed loop of 64 clients)`);
  const system = await startSystem({
    rootDir: ROOT,
    dataDir,
    gatewayPort: await freePort(),
    readyTimeoutMs: READY_TIMEOUT_MS,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ADMIN_API_KEY: ADMIN_KEY },
  });
  try {
    await runLoad(system.gatewayUrl, ['--clients', '16', '--orders', '200', '--timeout', '300000'], ADMIN_KEY);
    const saturated = await runLoad(system.gatewayUrl, ['--clients', '64', '--duration', String(PROBE_SECONDS), '--timeout', '300000'], ADMIN_KEY);
    if (saturated.notTerminal > 0 || saturated.errors.server5xx > 0) throw new Error(`soak: the saturation probe left ${saturated.notTerminal} orders not final and ${saturated.errors.server5xx} 5xx`);
    return saturated.throughput.terminalPerSecond;
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchSoak(): Promise<void> {
  const saturation = process.env.BENCH_SOAK_RATE === undefined ? await probeSaturation() : null;
  const rate = saturation === null ? Number(process.env.BENCH_SOAK_RATE) : Math.max(1, Math.round(saturation * 5) / 10);
  const drones = Number(process.env.BENCH_SOAK_DRONES ?? Math.max(10, Math.ceil(rate * 4)));
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-soak-'));
  const retention = String(RETENTION_MS);
  const why = saturation === null ? 'BENCH_SOAK_RATE' : `half of the ${saturation} measured`;
  console.error(`soak: starting the system; ${MINUTES} min at ${rate} orders/s (${why}), ${drones} drones, a sample every ${SAMPLE_SECONDS} s`);
  const system = await startSystem({
    rootDir: ROOT,
    dataDir,
    gatewayPort: await freePort(),
    readyTimeoutMs: READY_TIMEOUT_MS,
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ADMIN_API_KEY: ADMIN_KEY,
      STREAM_RETENTION_MS: String(STREAM_RETENTION_MS),
      HANDLED_MARKER_RETENTION_MS: retention,
      IDEMPOTENCY_KEY_RETENTION_MS: retention,
      IDEMPOTENCY_TTL_SECONDS: String(Math.max(1, Math.round(RETENTION_MS / 1000))),
      DRONE_FLEET_SIZE: String(drones),
      DRONE_TIME_SCALE: String(DRONE_TIME_SCALE),
      DRONE_TICK_MS: '1000',
    },
  });
  const bus = await connectRedis(system.busRedisUrl);
  const store = await connectRedis(system.storeRedisUrl);
  const samples: Sample[] = [];
  let stopping = false;
  try {
    const load = runLoad(system.gatewayUrl, ['--rate', String(rate), '--duration', String(MINUTES * 60), '--concurrency', '64', '--timeout', '300000'], ADMIN_KEY);
    const side = sideTraffic(system.gatewayUrl, () => stopping);
    const endAt = Date.now() + MINUTES * 60_000;
    samples.push(await sample(system, bus, store));
    while (Date.now() < endAt) {
      await new Promise((done) => setTimeout(done, Math.min(SAMPLE_SECONDS * 1000, Math.max(0, endAt - Date.now()))));
      samples.push(await sample(system, bus, store));
      console.error(`soak: sample ${samples.length} at ${Math.round((Date.now() - (samples[0] as Sample).atMs) / 1000)} s`);
    }
    stopping = true;
    const [orders, extra] = await Promise.all([load, side]);
    if (saturation !== null) console.log(`soak: saturation ${saturation} orders/s (closed loop of 64 clients, ${PROBE_SECONDS} s), soaked at ${rate}`);
    console.log(`soak: ${orders.terminal} orders final (${orders.notTerminal} not, ${orders.errors.total} errors), ${extra.checkouts} basket checkouts, ${extra.lendings} lend-and-return pairs (${extra.errors} errors)`);
  } finally {
    stopping = true;
    await Promise.allSettled([bus.close(), store.close()]);
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  report(samples);
}

function report(samples: Sample[]): void {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || samples.length < 3) throw new Error('soak: fewer than three samples');
  // Minute 10, or a third of a shorter run: after warm-up, when every window has turned over once.
  const baselineAt = first.atMs + Math.min(10 * 60_000, (last.atMs - first.atMs) / 3);
  const baseline = samples.find((candidate) => candidate.atMs >= baselineAt) ?? last;
  const minutes = (last.atMs - baseline.atMs) / 60_000;
  const names = [...new Set(samples.flatMap((one) => [...one.figures.keys()]))].sort();
  const failures: string[] = [];
  const rows = names.map((name) => {
    const kind = kindOf(name);
    const start = baseline.figures.get(name) ?? 0;
    const end = last.figures.get(name) ?? 0;
    const growth = start === 0 ? (end === 0 ? 0 : Infinity) : (end - start) / start;
    // Small figures (a stream of a few entries) move by whole entries: 10% of 50 is noise, not a trend.
    const judged = kind === 'bookkeeping' && Math.max(start, end) >= 50;
    const verdict = !judged ? kind : growth > 0.1 ? 'GROWS' : 'flat';
    if (verdict === 'GROWS') failures.push(`${name}: ${show(name, start)} → ${show(name, end)}`);
    const perMinute = (end - start) / minutes;
    const slope = minutes <= 0 ? '-' : isBytes(name) ? `${mb(perMinute)}/min` : `${perMinute.toFixed(1)}/min`;
    return [name, show(name, first.figures.get(name)), show(name, start), show(name, end), slope, Number.isFinite(growth) ? `${(growth * 100).toFixed(1)}%` : 'new', verdict];
  });
  printTable(
    `Soak: ${samples.length} samples over ${((last.atMs - first.atMs) / 60_000).toFixed(1)} min; baseline at ${((baseline.atMs - first.atMs) / 60_000).toFixed(1)} min`,
    ['figure', 'first', 'baseline', 'last', 'slope after baseline', 'growth', 'verdict'],
    rows,
  );
  if (failures.length > 0) {
    console.log(`soak: ${failures.length} bookkeeping figure(s) grew more than 10% after the baseline:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('soak: every bookkeeping figure stayed within 10% after the baseline');
  }
}
