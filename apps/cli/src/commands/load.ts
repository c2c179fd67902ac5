import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { CliError, EXIT } from '../errors.ts';
import { positiveNumber, resolveApiKey, resolveGatewayUrl, withApiKeyOption, withGatewayOption, type AdminOptions } from '../gateway.ts';
import { Budget, closedLoop, fixedRate } from '../load/drivers.ts';
import { createFixtures } from '../load/fixtures.ts';
import { Tally, type OrderTraffic } from '../load/orders.ts';
import { processReport, sampleProcesses, type ProcessSample } from '../load/processes.ts';
import { printSummary, Progress, summarize, type LoadSummary } from '../load/report.ts';
import type { Output } from '../output.ts';
import { positiveInteger } from '../redis.ts';

export interface LoadOptions extends AdminOptions {
  clients?: number;
  /** Closed loop: the next POST goes as soon as the last is accepted, not when its order is final. */
  pipelined: boolean;
  rate?: number;
  orders?: number;
  duration?: number;
  concurrency: number;
  timeout: number;
  pollMax: number;
  soak: boolean;
  sampleEvery: number;
  json: boolean;
}

/** Products the orders are spread over. */
const PRODUCTS = 8;

export function registerLoad(program: Command, output: Output): void {
  withApiKeyOption(
    withGatewayOption(
      program
        .command('load')
        .description('a load generator through the gateway: places single-item orders and follows each to its final status')
        .addOption(new Option('--clients <n>', 'closed loop: n customers, each placing an order, waiting until it is final, then the next').argParser(positiveInteger).conflicts('rate'))
        .option('--pipelined', 'with --clients: each customer places its next order as soon as the last is accepted, not when it is final; the run ends when every order is final', false)
        .addOption(new Option('--rate <per second>', 'fixed rate: orders placed per second whatever the system does').argParser(positiveNumber))
        .option('--orders <n>', 'stop after this many orders', positiveInteger)
        .option('--duration <seconds>', 'stop placing orders after this long', positiveNumber)
        .option('--concurrency <n>', 'with --rate: POSTs in flight at most', positiveInteger, 10)
        .option('--timeout <ms>', 'how long each order may take from its POST to a final status', positiveInteger, 60_000)
        .option('--poll-max <ms>', 'longest pause between two looks at one order that came back without the outcome (each look is a 10 s long-poll; pauses start at 25 ms and grow 1.5 times)', positiveInteger, 500)
        .option('--soak', 'also sample every process every --sample-every seconds and report RSS at start, end and its largest', false)
        .option('--sample-every <seconds>', 'with --soak: seconds between samples', positiveNumber, 60)
        .option('--json', 'the summary as one JSON object (progress still goes to stderr)', false),
    ),
  )
    .addHelpText(
      'after',
      '\nGive --clients or --rate, and --orders and/or --duration. It first creates one customer per client (with balance)\n' +
        'and a few products (with stock); creating products is an admin operation (--api-key / ADMIN_API_KEY when the\n' +
        'gateway has a key). Every request carries the key when one is given: the gateway does not rate-limit the admin\n' +
        'key, so a run with it measures the system rather than the per-client limit (200/s by default); without it the\n' +
        'run counts the 429s it waited out. Saga latency is measured on ordering\'s clock (the order\'s createdAt to its\n' +
        'final history entry); "seen final" is the client\'s POST to the first look that showed a final status.\n' +
        "CPU and RSS per service come from the gateway's merged /metrics at the start and the end of the run.\n" +
        'Exit status: 0 when every order was placed and reached a final status and no request failed (4xx, 5xx, no\n' +
        'answer), 1 otherwise, 2 for usage errors.',
    )
    .action(async (options: LoadOptions) => {
      const summary = await load(options, validMode(options));
      printSummary(output, options, summary);
      if (!summary.ok) process.exitCode = EXIT.failed;
    });
}

type Mode = { kind: 'closed-loop'; clients: number } | { kind: 'fixed-rate'; perSecond: number };

function validMode(options: LoadOptions): Mode {
  if (options.orders === undefined && options.duration === undefined) throw new CliError('give --orders, --duration or both: when to stop', EXIT.usage);
  if (options.clients !== undefined) return { kind: 'closed-loop', clients: options.clients };
  if (options.rate !== undefined) return { kind: 'fixed-rate', perSecond: options.rate };
  throw new CliError('give --clients <n> (closed loop) or --rate <per second> (fixed rate)', EXIT.usage);
}

async function load(options: LoadOptions, mode: Mode): Promise<LoadSummary> {
  const base = resolveGatewayUrl(options);
  const apiKey = resolveApiKey(options);
  const run = randomBytes(4).toString('hex');
  const bounded = (count: number) => Math.max(1, Math.min(count, options.orders ?? count));
  const fixtures = await createFixtures(base, apiKey, run, bounded(mode.kind === 'closed-loop' ? mode.clients : options.concurrency), bounded(PRODUCTS));
  const traffic: OrderTraffic = { base, apiKey, run, ...fixtures, timeoutMs: options.timeout, pollMaxMs: options.pollMax };

  const samples: ProcessSample[] = [await sampleProcesses(base, apiKey)];
  const sampler = options.soak
    ? setInterval(() => void sampleProcesses(base, apiKey).then((sample) => samples.push(sample)), options.sampleEvery * 1000)
    : null;
  const tally = new Tally();
  const progress = new Progress(tally, options.orders ?? null);
  const startMonotonicUs = Number(process.hrtime.bigint() / 1000n);
  const started = performance.now();
  const budget = new Budget(options.orders ?? null, options.duration === undefined ? null : options.duration * 1000, started);
  try {
    if (mode.kind === 'closed-loop') await closedLoop(traffic, tally, mode.clients, budget, !options.pipelined);
    else await fixedRate(traffic, tally, mode.perSecond, options.concurrency, budget);
  } finally {
    if (sampler) clearInterval(sampler);
    progress.finish();
  }
  const finished = performance.now();
  const endMonotonicUs = Number(process.hrtime.bigint() / 1000n);
  samples.push(await sampleProcesses(base, apiKey));
  return summarize({
    gateway: base,
    mode,
    requested: options.orders ?? null,
    tally,
    seconds: (finished - started) / 1000,
    window: { startMonotonicUs, endMonotonicUs },
    processes: processReport(samples, tally.finalByStatus.total),
  });
}
