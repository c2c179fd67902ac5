import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSystem } from '@tributary/launcher';
import { createServerDatabase, freePort } from 'tributary/testing';
import { printTable } from './table.ts';

/**
 * `npm run bench -- system`: the whole reference system (every service its
 * own process, private bus and store Redis servers, as `npm start` runs it)
 * driven through the gateway by `tributary load`, which runs as its own
 * process. Per database (PGlite; also a PostgreSQL server, in a fresh
 * database per run, when BENCH_DATABASE_URL is set) and per tracing setting:
 * a warm-up, a closed loop of BENCH_CLIENTS customers for BENCH_SECONDS
 * (saturation), then a fixed rate at half that throughput for BENCH_SECONDS
 * (saga latency below saturation). CPU per order per service comes from each
 * process's process_cpu_seconds_total over the saturated run.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
const WARMUP_ORDERS = Number(process.env.BENCH_WARMUP_ORDERS ?? 200);
/** How long the services have to come up: on a crowded machine the SQL services' start (tsx, PGlite's wasm) takes minutes. */
const READY_TIMEOUT_MS = Number(process.env.BENCH_READY_TIMEOUT_MS ?? 300_000);
const ADMIN_KEY = randomBytes(16).toString('hex');

interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}
export interface LoadJson {
  ok: boolean;
  terminal: number;
  notTerminal: number;
  errors: { total: number; server5xx: number; client4xx: number };
  throttled: number;
  throughput: { placedPerSecond: number; terminalPerSecond: number };
  latencyMs: { post: Percentiles; placementToTerminal: Percentiles };
  processes: Array<{ service: string; kind?: 'process' | 'thread'; cpuMsPerOrder: number | null; rssEndBytes: number | null }>;
}

/** `tributary load … --json` against the gateway, as a separate process (its CPU is not the system's). */
export function runLoad(gatewayUrl: string, args: string[], adminKey = ADMIN_KEY): Promise<LoadJson> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'apps', 'cli', 'bin', 'tributary.mjs'), 'load', ...args, '--json'], {
      cwd: ROOT,
      env: { ...process.env, TRIBUTARY_URL: gatewayUrl, ADMIN_API_KEY: adminKey },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      try {
        done(JSON.parse(stdout) as LoadJson);
      } catch {
        fail(new Error(`tributary load ${args.join(' ')} exited ${code} without a summary`));
      }
    });
  });
}


interface Row {
  database: string;
  tracing: string;
  saturated: LoadJson;
  halfRate: number;
  half: LoadJson;
}

async function measure(database: 'PGlite' | 'PostgreSQL', tracing: 'on' | 'off'): Promise<Row> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-system-'));
  const server = database === 'PostgreSQL' ? await createServerDatabase(process.env.BENCH_DATABASE_URL as string, 'tributary_bench') : null;
  console.error(`system bench: starting the system (${database}, tracing ${tracing})`);
  const system = await startSystem({
    rootDir: ROOT,
    dataDir,
    gatewayPort: await freePort(),
    ...(server ? { databaseUrl: server.url } : {}),
    readyTimeoutMs: READY_TIMEOUT_MS,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ADMIN_API_KEY: ADMIN_KEY, TRIBUTARY_TRACING: tracing },
  });
  try {
    await runLoad(system.gatewayUrl, ['--clients', String(Math.min(16, CLIENTS)), '--orders', String(WARMUP_ORDERS), '--timeout', '300000']);
    const saturated = await runLoad(system.gatewayUrl, ['--clients', String(CLIENTS), '--duration', String(SECONDS), '--timeout', '300000']);
    const halfRate = Math.max(0.5, Math.round(saturated.throughput.terminalPerSecond * 5) / 10);
    const half = await runLoad(system.gatewayUrl, ['--rate', String(halfRate), '--duration', String(SECONDS), '--concurrency', String(CLIENTS), '--timeout', '300000']);
    return { database, tracing, saturated, halfRate, half };
  } finally {
    await system.stop();
    await server?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const ms = (value: number | null) => (value === null ? '-' : String(Math.round(value)));
const failures = (run: LoadJson) => `${run.errors.server5xx} / ${run.errors.client4xx} / ${run.notTerminal}`;

export async function benchSystem(): Promise<void> {
  const rows: Row[] = [];
  const failed: string[] = [];
  // BENCH_DATABASES / BENCH_TRACING pick a subset (comma-separated), for a short run on a machine that is quiet for a while only.
  const pick = <T extends string>(variable: string, all: readonly T[]): T[] => {
    const wanted = process.env[variable]?.split(',').map((value) => value.trim()).filter(Boolean);
    return wanted ? all.filter((value) => wanted.includes(value)) : [...all];
  };
  const databases = pick('BENCH_DATABASES', process.env.BENCH_DATABASE_URL ? (['PGlite', 'PostgreSQL'] as const) : (['PGlite'] as const));
  const tracings = pick('BENCH_TRACING', ['on', 'off'] as const);
  for (const database of databases) {
    for (const tracing of tracings) {
      // One configuration that does not come up (a loaded machine) must not lose the others' figures.
      try {
        const row = await measure(database, tracing);
        rows.push(row);
        console.error(`system bench: ${database}, tracing ${tracing}: ${row.saturated.throughput.terminalPerSecond} orders/s closed loop; saga p50/p99 ${ms(row.half.latencyMs.placementToTerminal.p50)}/${ms(row.half.latencyMs.placementToTerminal.p99)} ms at ${row.halfRate}/s`);
      } catch (error) {
        failed.push(`${database}, tracing ${tracing}: ${(error as Error).message}`);
        console.error(`system bench: ${failed[failed.length - 1]}`);
      }
    }
  }

  printTable(
    `Whole system: closed loop of ${CLIENTS} clients for ${SECONDS} s, then a fixed rate at half that for ${SECONDS} s`,
    ['database', 'tracing', 'orders/s (closed loop)', 'POST accepted/s', 'POST p50 / p99 ms', 'saga p50 / p99 ms at saturation', 'half rate /s', 'saga p50 / p95 / p99 ms at half rate', '5xx / 4xx / not final'],
    rows.map(({ database, tracing, saturated, halfRate, half }) => [
      database,
      tracing,
      String(saturated.throughput.terminalPerSecond),
      String(saturated.throughput.placedPerSecond),
      `${ms(saturated.latencyMs.post.p50)} / ${ms(saturated.latencyMs.post.p99)}`,
      `${ms(saturated.latencyMs.placementToTerminal.p50)} / ${ms(saturated.latencyMs.placementToTerminal.p99)}`,
      String(halfRate),
      `${ms(half.latencyMs.placementToTerminal.p50)} / ${ms(half.latencyMs.placementToTerminal.p95)} / ${ms(half.latencyMs.placementToTerminal.p99)}`,
      `${failures(saturated)} + ${failures(half)}`,
    ]),
  );
  const services = [...new Set(rows.flatMap((row) => row.saturated.processes.map((p) => p.service)))].sort();
  const cpu = (row: Row, service: string) => row.saturated.processes.find((p) => p.service === service)?.cpuMsPerOrder ?? null;
  // A service that runs as a thread of the service host is inside that process's figure already.
  const total = (row: Row) => row.saturated.processes.reduce((sum, p) => sum + (p.kind === 'thread' ? 0 : (p.cpuMsPerOrder ?? 0)), 0);
  printTable(
    'CPU ms per order per service over the closed loop (process_cpu_seconds_total through the gateway /metrics)',
    ['service', ...rows.map((row) => `${row.database}, tracing ${row.tracing}`)],
    [...services.map((service) => [service, ...rows.map((row) => cpu(row, service)?.toFixed(1) ?? '-')]), ['all', ...rows.map((row) => total(row).toFixed(1))]],
  );
  if (rows.some((row) => !row.saturated.ok || !row.half.ok)) {
    console.error('system bench: some orders failed or were not final (see the last column)');
    process.exitCode = 1;
  }
  for (const line of failed) console.log(`not measured: ${line}`);
  if (failed.length > 0) process.exitCode = 1;
}
