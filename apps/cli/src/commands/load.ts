import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { CliError } from '../errors.ts';
import { callGateway, failure, positiveNumber, resolveApiKey, resolveGatewayUrl, Unreachable, withApiKeyOption, withGatewayOption, type AdminOptions, type ApiAnswer } from '../gateway.ts';
import type { Output } from '../output.ts';
import { positiveInteger } from '../redis.ts';
import { millis, table } from '../table.ts';

interface LoadOptions extends AdminOptions {
  orders: number;
  rate: number;
  concurrency: number;
  timeout: number;
  json: boolean;
}

interface Order {
  id: string;
  status: string;
  createdAt: string;
  history: Array<{ status: string; at: string }>;
}

export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface LoadSummary {
  gateway: string;
  requested: number;
  placed: number;
  terminal: number;
  notTerminal: number;
  byStatus: Record<string, number>;
  errors: { total: number; byStatus: Record<string, number> };
  throttled: number;
  durationSeconds: number;
  throughput: { placedPerSecond: number; terminalPerSecond: number };
  latencyMs: { post: Percentiles; placementToTerminal: Percentiles };
}

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
const PRICE_CENTS = 100;
/** Polls of GET /api/orders/:id per second at most: the gateway rate-limits per client (200/s by default). */
const MAX_POLLS_PER_SECOND = 100;

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

export function registerLoad(program: Command, output: Output): void {
  withApiKeyOption(
    withGatewayOption(
      program
        .command('load')
        .description('a load generator through the gateway: places orders at a rate and follows each to its final status')
        .requiredOption('--orders <n>', 'how many orders to place', positiveInteger)
        .requiredOption('--rate <per second>', 'orders placed per second (about)', positiveNumber)
        .option('--concurrency <n>', 'requests in flight at most', positiveInteger, 10)
        .option('--timeout <ms>', 'how long each order may take to reach a final status', positiveInteger, 60_000)
        .option('--json', 'the summary as one JSON object (progress still goes to stderr)', false),
    ),
  )
    .addHelpText(
      'after',
      '\nIt first creates a few users (with balance) and products (with stock) for the run; creating products is an\n' +
        'admin operation (--api-key / ADMIN_API_KEY when the gateway has a key). Latency of placement → final status is\n' +
        "measured on ordering's clock (the order's createdAt to its final history entry).\n" +
        'Exit status: 0 when every order reached a final status and no request failed with a 5xx, 1 otherwise, 2 for usage errors.',
    )
    .action(async (options: LoadOptions) => {
      const summary = await load(options);
      printSummary(output, options, summary);
      if (summary.notTerminal > 0 || summary.placed < summary.requested || Object.keys(summary.errors.byStatus).some((key) => key === 'network' || key.startsWith('5'))) {
        process.exitCode = 1;
      }
    });
}

/** Nearest-rank percentiles of `values` (milliseconds, rounded to 0.1). */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? null : Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number) * 10) / 10);
  return { count: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: at(100) };
}

async function create<T>(base: string, path: string, body: unknown, apiKey: string | null, what: string): Promise<T> {
  const answer = await callGateway<T>(base, 'POST', path, { body, apiKey });
  if (answer.status !== 201) throw failure(`cannot create the load's ${what}`, answer);
  return answer.body;
}

async function load(options: LoadOptions): Promise<LoadSummary> {
  const base = resolveGatewayUrl(options);
  const apiKey = resolveApiKey(options);
  const run = randomBytes(4).toString('hex');
  const progress = new Progress(options.orders);

  // A few customers and products, with enough money and stock for every order (one unit each).
  const userIds: string[] = [];
  for (let i = 0; i < Math.min(5, options.orders); i += 1) {
    const user = await create<{ id: string }>(
      base,
      '/api/users',
      { name: `Load ${run} ${i}`, email: `load-${run}-${i}@example.com`, country: 'GB', balanceCents: PRICE_CENTS * options.orders * 10 },
      null,
      'users',
    );
    userIds.push(user.id);
  }
  const productIds: string[] = [];
  for (let i = 0; i < Math.min(3, options.orders); i += 1) {
    const product = await create<{ id: string }>(
      base,
      '/api/products',
      { sku: `LOAD-${run}-${i}`, name: `Load tea ${run} ${i}`, priceCents: PRICE_CENTS, stock: options.orders, bannedCountries: [] },
      apiKey,
      'products',
    );
    productIds.push(product.id);
  }

  const errors: Record<string, number> = {};
  const error = (key: string) => {
    errors[key] = (errors[key] ?? 0) + 1;
    progress.errors += 1;
  };
  let throttled = 0;
  const postLatencies: number[] = [];
  const endToEnd: number[] = [];
  const byStatus: Record<string, number> = {};
  /** Placed orders not yet final: id → deadline and last status seen. */
  const following = new Map<string, { deadline: number; status: string }>();
  const notTerminal: string[] = [];

  /** Retries a 429 after its Retry-After; any other answer is returned. */
  const withRetry = async <T>(call: () => Promise<ApiAnswer<T>>, deadline: number): Promise<ApiAnswer<T>> => {
    for (;;) {
      const answer = await call();
      if (answer.status !== 429 || Date.now() > deadline) return answer;
      throttled += 1;
      const after = Number(answer.headers.get('retry-after'));
      await pause(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 5_000) : 200);
    }
  };

  const started = performance.now();
  let placementDone = false;

  const place = async (index: number) => {
    const deadline = Date.now() + options.timeout;
    const body = { userId: userIds[index % userIds.length], items: [{ productId: productIds[index % productIds.length], quantity: 1 }] };
    let sent = performance.now();
    try {
      const answer = await withRetry(() => {
        sent = performance.now();
        return callGateway<{ orderId: string; status: string }>(base, 'POST', '/api/orders', { body, headers: { 'idempotency-key': `load-${run}-${index}` } });
      }, deadline);
      if (answer.status !== 202) {
        error(String(answer.status));
        return;
      }
      postLatencies.push(performance.now() - sent);
      progress.placed += 1;
      following.set(answer.body.orderId, { deadline, status: answer.body.status });
    } catch (failure) {
      if (!(failure instanceof Unreachable)) throw failure;
      error('network');
    }
  };

  const poll = async (orderId: string) => {
    const entry = following.get(orderId);
    if (!entry) return;
    try {
      const answer = await callGateway<Order>(base, 'GET', `/api/orders/${encodeURIComponent(orderId)}`);
      if (answer.status === 200) {
        entry.status = answer.body.status;
        if (TERMINAL.has(answer.body.status)) {
          following.delete(orderId);
          byStatus[answer.body.status] = (byStatus[answer.body.status] ?? 0) + 1;
          progress.done += 1;
          const final = [...answer.body.history].reverse().find((step) => step.status === answer.body.status);
          const elapsed = final ? Date.parse(final.at) - Date.parse(answer.body.createdAt) : NaN;
          if (Number.isFinite(elapsed)) endToEnd.push(Math.max(0, elapsed));
          return;
        }
      } else if (answer.status === 429) {
        throttled += 1;
      } else if (answer.status !== 404) {
        error(String(answer.status));
      }
    } catch (failure) {
      if (!(failure instanceof Unreachable)) throw failure;
      error('network');
    }
    if (Date.now() > entry.deadline) {
      following.delete(orderId);
      notTerminal.push(orderId);
    }
  };

  // The follower: sweeps the placed orders until every one is final or out of time.
  const follower = (async () => {
    while (!placementDone || following.size > 0) {
      const ids = [...following.keys()];
      for (let i = 0; i < ids.length; i += options.concurrency) {
        await Promise.all(ids.slice(i, i + options.concurrency).map(poll));
      }
      await pause(Math.max(200, (ids.length * 1000) / MAX_POLLS_PER_SECOND));
    }
  })();

  // The placer: order i leaves at start + i / rate, with at most --concurrency POSTs in flight.
  const inFlight = new Set<Promise<void>>();
  for (let index = 0; index < options.orders; index += 1) {
    const wait = started + (index * 1000) / options.rate - performance.now();
    if (wait > 0) await pause(wait);
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    const request: Promise<void> = place(index).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  placementDone = true;
  await follower;
  progress.finish();

  const seconds = (performance.now() - started) / 1000;
  const terminal = Object.values(byStatus).reduce((sum, count) => sum + count, 0);
  return {
    gateway: base,
    requested: options.orders,
    placed: progress.placed,
    terminal,
    notTerminal: notTerminal.length,
    byStatus,
    errors: { total: Object.values(errors).reduce((sum, count) => sum + count, 0), byStatus: errors },
    throttled,
    durationSeconds: Math.round(seconds * 1000) / 1000,
    throughput: {
      placedPerSecond: Math.round((progress.placed / seconds) * 100) / 100,
      terminalPerSecond: Math.round((terminal / seconds) * 100) / 100,
    },
    latencyMs: { post: percentiles(postLatencies), placementToTerminal: percentiles(endToEnd) },
  };
}

/** On stderr: a bar redrawn in place on a terminal, a plain line every two seconds otherwise. */
class Progress {
  placed = 0;
  done = 0;
  errors = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly total: number) {
    this.timer = setInterval(() => this.draw(), this.tty ? 200 : 2_000);
    this.timer.unref();
  }
  private text(): string {
    return `${this.placed}/${this.total} placed, ${this.done} final, ${this.errors} errors`;
  }
  private draw(): void {
    if (!this.tty) {
      process.stderr.write(`load: ${this.text()}\n`);
      return;
    }
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.text()}\u001b[K`);
  }
  finish(): void {
    clearInterval(this.timer);
    this.draw();
    if (this.tty) process.stderr.write('\n');
  }
}

function printSummary(output: Output, options: LoadOptions, summary: LoadSummary): void {
  if (options.json) {
    output.line(JSON.stringify(summary));
    return;
  }
  const ok = summary.notTerminal === 0 && summary.placed === summary.requested;
  output.line(`orders      ${summary.requested} requested, ${summary.placed} placed, ${summary.terminal} reached a final status${summary.notTerminal ? `, ${output.red(`${summary.notTerminal} did not within ${options.timeout} ms`)}` : ''}`);
  const statuses = Object.entries(summary.byStatus).map(([status, count]) => `${status === 'COMPLETED_SUCCESSFULLY' ? output.green(status) : output.yellow(status)} ${count}`);
  output.line(`final       ${statuses.join(', ') || '-'}`);
  const errors = Object.entries(summary.errors.byStatus).map(([status, count]) => `${status} × ${count}`);
  output.line(`errors      ${summary.errors.total ? output.red(`${summary.errors.total} (${errors.join(', ')})`) : '0'}${summary.throttled ? ` (${summary.throttled} throttled requests retried)` : ''}`);
  output.line(`throughput  ${summary.throughput.placedPerSecond} orders/s placed, ${summary.throughput.terminalPerSecond} orders/s final, over ${summary.durationSeconds}s`);
  const cell = (value: number | null) => (value === null ? '-' : millis(value));
  const row = (name: string, p: Percentiles) => [name, cell(p.p50), cell(p.p90), cell(p.p99), cell(p.max), String(p.count)];
  for (const line of table(['latency', 'p50', 'p90', 'p99', 'max', 'n'], [row('POST /api/orders', summary.latencyMs.post), row('placed → final', summary.latencyMs.placementToTerminal)])) {
    output.line(line);
  }
  output.line(ok ? output.green('done') : output.red('not every order reached a final status'));
}
