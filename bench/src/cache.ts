import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectRedis, type RedisClient } from 'tributary';
import { cacheKeys, createCache } from 'tributary/cache';
import { createLogger } from 'tributary/service';
import { openDatabase, type SqlDatabase } from 'tributary/sql';
import { startRedisServer, type RedisServer } from 'tributary/testing';
import { printTable } from './table.ts';

/**
 * Catalog's GET /products/:id over HTTP (keep-alive fetch from this process)
 * against catalog instances in a child process: through the cache (hits),
 * through the cache with every entry deleted just before its read (misses),
 * through the cache with the in-process layer, and straight from the
 * database. PGlite always; a PostgreSQL server too when BENCH_DATABASE_URL
 * is set. The child runs the catalogs so the load generator does not share
 * their event loop; it also times the same reads in-process, without HTTP,
 * to show what the cache saves per read apart from the HTTP stack.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 1_000);
const ROLE = 'BENCH_CACHE_ROLE';

const VARIANTS = {
  cached: true,
  l1: { l1: { maxEntries: 10_000, ttlMs: 5_000 } },
  uncached: false,
} as const;
type Variant = keyof typeof VARIANTS;

interface Ready {
  ports: Record<Variant, number>;
  ids: string[];
  inProcess: Array<{ label: string } & Result>;
}

interface Result {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** `concurrency` loops calling `read` on random ids for `seconds`; `before` runs outside the timed part. */
async function measure(read: (id: string) => Promise<unknown>, ids: string[], seconds: number, before?: (id: string) => Promise<unknown>): Promise<Result> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const id = ids[Math.floor(Math.random() * ids.length)] as string;
      if (before) await before(id);
      const started = performance.now();
      await read(id);
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) };
}

// ---- child: the catalogs under test ----------------------------------------

async function openBenchDatabase(target: string): Promise<{ db: SqlDatabase; drop(): Promise<void> }> {
  if (target === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-pglite-'));
    return { db: await openDatabase(`pglite://${dir}`), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = await openDatabase(target);
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(target);
  url.searchParams.set('schema', schema);
  return {
    db: await openDatabase(url.toString()),
    drop: async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

async function serve(): Promise<void> {
  const { startCatalog } = await import('../../services/catalog/src/app.ts');
  const { findProduct, ProductRecord } = await import('../../services/catalog/src/store/products.ts');
  const env = (name: string) => process.env[name] ?? '';
  const { db, drop } = await openBenchDatabase(env('BENCH_DB'));
  const bus = await connectRedis(env('BUS_URL'));
  const store = await connectRedis(env('STORE_URL'));
  const logger = createLogger('catalog', 'silent');
  const catalogs = [];
  const ports = {} as Record<Variant, number>;
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    const catalog = await startCatalog({ db, bus, store, logger, instance: `bench-${variant}`, cache: VARIANTS[variant] });
    await catalog.app.listen({ host: '127.0.0.1', port: 0 });
    const address = catalog.app.server.address();
    ports[variant] = typeof address === 'object' && address ? address.port : 0;
    catalogs.push(catalog);
  }
  const ids: string[] = [];
  const seeder = catalogs[0]!.app;
  for (let i = 0; i < PRODUCTS; i++) {
    const response = await seeder.inject({ method: 'POST', url: '/products', payload: { sku: `SKU-${i}`, name: `Product ${i}`, priceCents: 100 + i, stock: 10, bannedCountries: ['US'] } });
    ids.push(response.json().id);
  }
  // The same reads without HTTP: what the cache saves the server, per read.
  const cache = createCache({ redis: store, prefix: 'bench:cache', schema: ProductRecord, load: (id) => findProduct(db, id) });
  const reads = [
    { label: 'kit cache.get, hit', read: (id: string) => cache.get(id) },
    { label: 'kit cache.get, miss (entry deleted before each read)', read: (id: string) => cache.get(id), before: (id: string) => cache.invalidate(id) },
    { label: 'database read (the loader alone)', read: (id: string) => findProduct(db, id) },
  ];
  const inProcess: Ready['inProcess'] = [];
  for (const { read, before } of reads) await measure(read, ids, 1, before);
  for (const { label, read, before } of reads) {
    const runs = [await measure(read, ids, SECONDS / 2, before), await measure(read, ids, SECONDS / 2, before)];
    inProcess.push({ label, ...runs.reduce((a, b) => (a.rps >= b.rps ? a : b)) });
  }
  await cache.close();
  process.stdout.write(`${JSON.stringify({ ports, ids, inProcess } satisfies Ready)}\n`);
  // The parent closes our stdin when it is done.
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  for (const catalog of catalogs) await catalog.close();
  await db.close();
  await drop();
  await bus.close();
  await store.close();
}

// ---- parent: the load generator --------------------------------------------

function httpRead(base: string): (id: string) => Promise<void> {
  return async (id) => {
    const response = await fetch(`${base}/products/${id}`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET /products/${id} answered ${response.status}`);
  };
}

/** Sum of one metric's series on a catalog's /metrics (the server's own count of hits and misses). */
async function serverCount(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))) sum += Number(match[1]);
  return sum;
}

async function runAgainst(database: 'pglite' | string): Promise<void> {
  const servers: RedisServer[] = [await startRedisServer(), await startRedisServer()];
  const [busServer, storeServer] = servers as [RedisServer, RedisServer];
  const store: RedisClient = await connectRedis(storeServer.url);
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, [ROLE]: 'server', BENCH_DB: database, BUS_URL: busServer.url, STORE_URL: storeServer.url },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const lines = createInterface({ input: child.stdout! });
    const ready = await new Promise<Ready>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line) as Ready));
      child.once('exit', (code) => reject(new Error(`catalog child exited (${code}) before it was ready`)));
    });
    const base = (variant: Variant) => `http://127.0.0.1:${ready.ports[variant]}`;
    const keys = cacheKeys('catalog:cache');
    const invalidate = (id: string) => store.del([keys.entry(id), keys.lock(id)]);
    const scenarios: Array<{ label: string; variant: Variant; before?: (id: string) => Promise<unknown> }> = [
      { label: 'cache hit (Redis)', variant: 'cached' },
      { label: 'cache hit (in-process L1 in front of Redis)', variant: 'l1' },
      { label: 'cache miss (entry deleted before each read)', variant: 'cached', before: invalidate },
      { label: 'no cache (database read)', variant: 'uncached' },
    ];

    // Warm-up: JIT, connections, and every product cached once.
    for (const scenario of scenarios) await measure(httpRead(base(scenario.variant)), ready.ids, 1, scenario.before);
    const best = new Map<string, Result>();
    const observed = new Map<string, { hits: number; misses: number }>();
    for (let round = 0; round < 2; round++) {
      for (const scenario of scenarios) {
        const url = base(scenario.variant);
        const hitsBefore = await serverCount(url, 'tributary_cache_hits_total');
        const missesBefore = await serverCount(url, 'tributary_cache_misses_total');
        const result = await measure(httpRead(url), ready.ids, SECONDS, scenario.before);
        if ((best.get(scenario.label)?.rps ?? 0) < result.rps) {
          best.set(scenario.label, result);
          observed.set(scenario.label, {
            hits: (await serverCount(url, 'tributary_cache_hits_total')) - hitsBefore,
            misses: (await serverCount(url, 'tributary_cache_misses_total')) - missesBefore,
          });
        }
      }
    }
    const baseline = best.get('no cache (database read)')?.rps ?? 1;
    const ms = (value: number) => value.toFixed(2);
    printTable(
      `cache: GET /products/:id over HTTP, ${database === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL server'}, ${PRODUCTS} products, ${CONCURRENCY} concurrent keep-alive clients, best of 2 x ${SECONDS} s`,
      ['path', 'requests/s', 'p50 ms', 'p95 ms', 'p99 ms', 'ratio to no cache', 'server hits / misses'],
      scenarios.map(({ label }) => {
        const result = best.get(label) as Result;
        const seen = observed.get(label) as { hits: number; misses: number };
        return [label, result.rps.toFixed(0), ms(result.p50), ms(result.p95), ms(result.p99), (result.rps / baseline).toFixed(2), `${seen.hits} / ${seen.misses}`];
      }),
    );
    const loaderAlone = ready.inProcess[ready.inProcess.length - 1]?.rps ?? 1;
    printTable(
      `cache, same reads in the catalog process without HTTP (${CONCURRENCY} concurrent callers, best of 2 x ${SECONDS / 2} s)`,
      ['path', 'reads/s', 'p50 ms', 'p95 ms', 'p99 ms', 'ratio to database read'],
      ready.inProcess.map((row) => [row.label, row.rps.toFixed(0), ms(row.p50), ms(row.p95), ms(row.p99), (row.rps / loaderAlone).toFixed(2)]),
    );
  } finally {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    await store.close();
    for (const server of servers) await server.stop();
  }
}

export async function benchCache(): Promise<void> {
  await runAgainst('pglite');
  if (process.env.BENCH_DATABASE_URL) await runAgainst(process.env.BENCH_DATABASE_URL);
}

if (process.env[ROLE] === 'server') await serve();
