import { connectRedis, type RedisClient } from 'tributary';
import { startRedisServer } from 'tributary/testing';
import { printTable } from './table.ts';

/**
 * What node-redis's per-command timeout costs: the same pipelined commands
 * (batches of 500, as the publisher and the telemetry handlers send them)
 * on a client with the default 5 000 ms timeout (an AbortSignal.timeout and
 * its listener per command) and on one with `commandTimeoutMs: 0`.
 */
const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 200_000);
const BATCH = 500;

async function pipelined(redis: RedisClient, command: (i: number) => string[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < COMMANDS; i += BATCH) {
    const sent: Array<Promise<unknown>> = [];
    for (let j = i; j < i + BATCH; j++) sent.push(redis.sendCommand(command(j)));
    await Promise.all(sent);
  }
  return (COMMANDS / (performance.now() - started)) * 1000;
}

export async function benchCommandTimeout(): Promise<void> {
  const server = await startRedisServer();
  const withTimeout = await connectRedis(server.url);
  const without = await connectRedis(server.url, { commandTimeoutMs: 0 });
  const commands: Record<string, (i: number) => string[]> = {
    'PING': () => ['PING'],
    'XADD (envelope-sized entry)': (i) => ['XADD', 'timeout-bench', 'MAXLEN', '~', '10000', '*', 'id', String(i), 'data', '{"orderId":"order-1","userId":"user-1","totalCents":700}'],
  };
  try {
    const rows: string[][] = [];
    for (const [name, command] of Object.entries(commands)) {
      const timed: number[] = [];
      const untimed: number[] = [];
      await pipelined(withTimeout, command);
      await pipelined(without, command);
      // Alternate, best of three: fair to both on a shared machine.
      for (let round = 0; round < 3; round++) {
        timed.push(await pipelined(withTimeout, command));
        untimed.push(await pipelined(without, command));
      }
      const best = (values: number[]) => Math.max(...values);
      rows.push(
        [name, 'default (5 000 ms)', best(timed).toFixed(0), timed.map((v) => v.toFixed(0)).join(' / '), '1.00'],
        [name, 'commandTimeoutMs: 0', best(untimed).toFixed(0), untimed.map((v) => v.toFixed(0)).join(' / '), (best(untimed) / best(timed)).toFixed(2)],
      );
    }
    printTable(`node-redis per-command timeout: ${COMMANDS} commands, pipelined ${BATCH} at a time, one Redis ${server.url}`, ['command', 'timeout', 'commands/s (best of 3)', 'all runs', 'ratio to default'], rows);
  } finally {
    await withTimeout.close();
    await without.close();
    await server.stop();
  }
}
