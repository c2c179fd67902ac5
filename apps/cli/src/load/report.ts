import type { LoadOptions } from '../commands/load.ts';
import type { Output } from '../output.ts';
import { millis, table } from '../table.ts';
import type { Tally } from './orders.ts';
import type { ProcessReport } from './processes.ts';
import { percentiles, rate, type Percentiles } from './stats.ts';

export interface LoadSummary {
  gateway: string;
  mode: 'closed-loop' | 'fixed-rate';
  clients: number | null;
  rate: number | null;
  /** --orders, when given. */
  requested: number | null;
  attempted: number;
  placed: number;
  terminal: number;
  notTerminal: number;
  byStatus: Record<string, number>;
  /** Answers that were not a success, by status (`network`: no answer); 429s waited out are `throttled`. */
  errors: { total: number; server5xx: number; client4xx: number; network: number; byStatus: Record<string, number> };
  throttled: number;
  durationSeconds: number;
  throughput: { placedPerSecond: number; terminalPerSecond: number };
  latencyMs: { post: Percentiles; placementToTerminal: Percentiles; postToSeenFinal: Percentiles };
  /** The run on the monotonic clock that `node --cpu-prof` timestamps use (µs), to cut profiles to it. */
  window: { startMonotonicUs: number; endMonotonicUs: number };
  processes: ProcessReport[];
  ok: boolean;
}

export function summarize(run: {
  gateway: string;
  mode: { kind: 'closed-loop'; clients: number } | { kind: 'fixed-rate'; perSecond: number };
  requested: number | null;
  tally: Tally;
  seconds: number;
  window: LoadSummary['window'];
  processes: ProcessReport[];
}): LoadSummary {
  const { tally, seconds } = run;
  const terminal = tally.finalByStatus.total;
  const errors = {
    total: tally.errors.total,
    server5xx: tally.errors.where((key) => key.startsWith('5')),
    client4xx: tally.errors.where((key) => key.startsWith('4')),
    network: tally.errors.where((key) => key === 'network'),
    byStatus: tally.errors.byKey,
  };
  return {
    gateway: run.gateway,
    mode: run.mode.kind,
    clients: run.mode.kind === 'closed-loop' ? run.mode.clients : null,
    rate: run.mode.kind === 'fixed-rate' ? run.mode.perSecond : null,
    requested: run.requested,
    attempted: tally.attempted,
    placed: tally.accepted,
    terminal,
    notTerminal: tally.notFinal.length,
    byStatus: tally.finalByStatus.byKey,
    errors,
    throttled: tally.throttled,
    durationSeconds: Math.round(seconds * 1000) / 1000,
    throughput: { placedPerSecond: rate(tally.accepted, seconds), terminalPerSecond: rate(terminal, seconds) },
    latencyMs: { post: percentiles(tally.postMs), placementToTerminal: percentiles(tally.sagaMs), postToSeenFinal: percentiles(tally.seenMs) },
    window: run.window,
    processes: run.processes,
    ok: tally.notFinal.length === 0 && errors.total === 0 && tally.accepted === tally.attempted && (run.requested === null || tally.attempted === run.requested),
  };
}

/** On stderr: a bar redrawn in place on a terminal, a plain line every two seconds otherwise. */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly tally: Tally,
    private readonly total: number | null,
  ) {
    this.timer = setInterval(() => this.draw(), this.tty ? 200 : 2_000);
    this.timer.unref();
  }
  private text(): string {
    const { accepted, finalByStatus, errors } = this.tally;
    return `${accepted}${this.total === null ? '' : `/${this.total}`} placed, ${finalByStatus.total} final, ${errors.total} errors`;
  }
  private draw(): void {
    if (!this.tty || this.total === null) {
      process.stderr.write(`${this.tty ? '\r' : ''}load: ${this.text()}${this.tty ? '\u001b[K' : '\n'}`);
      return;
    }
    const width = 30;
    const filled = Math.round((this.tally.finalByStatus.total / this.total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.text()}\u001b[K`);
  }
  finish(): void {
    clearInterval(this.timer);
    this.draw();
    if (this.tty) process.stderr.write('\n');
  }
}

const megabytes = (bytes: number | null) => (bytes === null ? '-' : String(Math.round(bytes / 1_048_576)));
const sum = (values: Array<number | null>) => (values.some((value) => value === null) ? null : values.reduce<number>((total, value) => total + (value as number), 0));

export function printSummary(output: Output, options: LoadOptions, summary: LoadSummary): void {
  if (options.json) {
    output.line(JSON.stringify(summary));
    return;
  }
  const how = summary.mode === 'closed-loop' ? `closed loop of ${summary.clients} clients` : `fixed rate ${summary.rate}/s`;
  output.line(
    `orders      ${how}: ${summary.attempted} placed${summary.requested === null ? '' : ` of ${summary.requested}`}, ${summary.placed} accepted, ${summary.terminal} reached a final status` +
      (summary.notTerminal ? `, ${output.red(`${summary.notTerminal} did not within ${options.timeout} ms`)}` : ''),
  );
  const statuses = Object.entries(summary.byStatus).map(([status, count]) => `${status === 'COMPLETED_SUCCESSFULLY' ? output.green(status) : output.yellow(status)} ${count}`);
  output.line(`final       ${statuses.join(', ') || '-'}`);
  const errors = Object.entries(summary.errors.byStatus).map(([status, count]) => `${status} × ${count}`);
  output.line(
    `errors      ${summary.errors.total ? output.red(`${summary.errors.total}: ${summary.errors.server5xx} 5xx, ${summary.errors.client4xx} 4xx, ${summary.errors.network} no answer (${errors.join(', ')})`) : '0'}` +
      (summary.throttled ? output.yellow(` (${summary.throttled} requests throttled by the rate limit and retried: give the gateway's admin key)`) : ''),
  );
  output.line(`throughput  ${summary.throughput.terminalPerSecond} orders/s completed end to end, ${summary.throughput.placedPerSecond} POSTs/s accepted, over ${summary.durationSeconds}s`);
  const cell = (value: number | null) => (value === null ? '-' : millis(value));
  const row = (name: string, p: Percentiles) => [name, cell(p.p50), cell(p.p90), cell(p.p95), cell(p.p99), cell(p.max), String(p.count)];
  for (const line of table(
    ['latency', 'p50', 'p90', 'p95', 'p99', 'max', 'n'],
    [row('POST /api/orders', summary.latencyMs.post), row('saga (placed → final)', summary.latencyMs.placementToTerminal), row('POST → seen final', summary.latencyMs.postToSeenFinal)],
  )) {
    output.line(line);
  }
  if (summary.processes.length > 0) {
    const rows = summary.processes.map((p) => [p.service, p.cpuSeconds === null ? '-' : p.cpuSeconds.toFixed(1), p.cpuMsPerOrder === null ? '-' : p.cpuMsPerOrder.toFixed(2), megabytes(p.rssStartBytes), megabytes(p.rssEndBytes), ...(options.soak ? [megabytes(p.rssMaxBytes)] : [])]);
    // A threaded service's CPU is part of the service host's row: processes only, so nothing counts twice.
    const total = (pick: (p: ProcessReport) => number | null) => sum(summary.processes.filter((p) => p.kind === 'process').map(pick));
    const cpu = total((p) => p.cpuSeconds);
    rows.push([
      'all services',
      cpu === null ? '-' : cpu.toFixed(1),
      cpu === null || summary.terminal === 0 ? '-' : ((cpu * 1000) / summary.terminal).toFixed(2),
      megabytes(total((p) => p.rssStartBytes)),
      megabytes(total((p) => p.rssEndBytes)),
      ...(options.soak ? [megabytes(total((p) => p.rssMaxBytes))] : []),
    ]);
    for (const line of table(['process', 'CPU s', 'CPU ms/order', 'RSS start MB', 'RSS end MB', ...(options.soak ? ['RSS max MB'] : [])], rows)) output.line(line);
  }
  output.line(summary.ok ? output.green('done') : output.red('not every order was placed and reached a final status without errors'));
}
