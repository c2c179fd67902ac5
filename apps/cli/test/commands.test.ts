import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope, newEventId, newTraceparent } from 'tributary';
import { freePort, waitFor } from 'tributary/testing';
import { runCli, spawnCli } from './harness.ts';
import { useRedis } from 'tributary/testing/vitest';

/** Help, usage errors, an unreachable gateway, pid files and `tail`: no whole system needed. */
describe('tributary commands without a system', { timeout: 120_000 }, () => {
  let closed: string;
  beforeAll(async () => {
    // Nobody listens here: never someone's gateway on 8080.
    closed = `http://127.0.0.1:${await freePort()}`;
  });

  it('--help exits 0 on every command', async () => {
    const commands = [
      ['start', '--help'],
      ['stop', '--help'],
      ['status', '--help'],
      ['streams', '--help'],
      ['tail', '--help'],
      ['dlq', '--help'],
      ['dlq', 'list', '--help'],
      ['dlq', 'replay', '--help'],
      ['load', '--help'],
      ['bench', '--help'],
      ['regions', '--help'],
      ['regions', 'table-4-1', '--help'],
      ['backup', '--help'],
      ['restore', '--help'],
      ['keys', '--help'],
      ['keys', 'rotate', '--help'],
    ];
    // Side by side: each is a process of its own that only prints.
    const runs = await Promise.all(commands.map((args) => runCli(args)));
    for (const [i, run] of runs.entries()) {
      const args = commands[i] as string[];
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain(`Usage: tributary ${args.slice(0, -1).join(' ')}`);
    }
  });

  it.for([
    { args: ['frobnicate'] },
    { args: ['load', '--rate', '5'] },
    { args: ['load', '--orders', '0', '--rate', '5'] },
    { args: ['load', '--orders', '5', '--rate', 'fast'] },
    { args: ['load', '--orders', '5', '--rate', '5', '--concurrency', '-1'] },
    { args: ['load', '--orders', '5'] },
    { args: ['load', '--clients', '4'] },
    { args: ['load', '--clients', '0', '--orders', '5'] },
    { args: ['load', '--clients', '4', '--rate', '5', '--orders', '5'] },
    { args: ['load', '--clients', '4', '--duration', 'long'] },
    { args: ['dlq', 'replay'] },
    { args: ['dlq', 'replay', 'ordering:events'] },
    { args: ['dlq', 'replay', '--all', 'ordering:events', '1-0'] },
    { args: ['dlq', 'replay', 'ordering:events', 'not-an-id'] },
    { args: ['dlq', 'list', '--stream', 'ordering'] },
    { args: ['tail'] },
    { args: ['tail', 'ordering:events', '--since', 'yesterday'] },
    { args: ['tail', 'ordering:events', '--since', '1-0', '--from-start'] },
    { args: ['tail', 'ordering:events', '--count', '0'] },
    { args: ['streams', '--gateway', 'ftp://127.0.0.1:1'] },
    { args: ['status', '--gateway', 'not a url'] },
  ].map(({ args }) => ({ args, command: args.join(' ') })))('usage error $command exits 2 with a message', { concurrent: true }, async ({ args }, { expect }) => {
    const run = await runCli([...args], { TRIBUTARY_URL: closed, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error|tributary:/i);
  });

  it('exits 1 with a clear message when the gateway cannot be reached, never printing the key', async () => {
    for (const args of [
      ['streams'],
      ['dlq', 'list', '--api-key', 'sekrit-key'],
      ['dlq', 'replay', '--all'],
      ['load', '--orders', '1', '--rate', '1'],
      ['load', '--clients', '2', '--duration', '1'],
    ]) {
      const run = await runCli([...args, '--gateway', closed], { ADMIN_API_KEY: 'other-sekrit' });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toContain(`cannot reach the gateway at ${closed}`);
      expect(run.stdout + run.stderr).not.toMatch(/sekrit/);
    }
    // TRIBUTARY_URL is the default.
    const status = await runCli(['status'], { TRIBUTARY_URL: closed, TRIBUTARY_DATA_DIR: tmpdir() + '/tributary-cli-nothing' });
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`cannot reach the gateway at ${closed}`);
  });

  it('reports and removes a stale pid file: a gone process, or a pid that is not the launcher', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-cli-pid-'));
    const pidFile = join(dataDir, 'launcher.pid');
    try {
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      for (const pid of [gone.stdout, String(process.pid)]) {
        writeFileSync(pidFile, `${pid}\n`);
        const status = await runCli(['status', '--json', '--gateway', closed], { TRIBUTARY_DATA_DIR: dataDir });
        expect(status.code).toBe(1);
        expect(JSON.parse(status.stdout)).toMatchObject({ running: false, stalePid: Number(pid), reachable: false, allUp: false });
        expect(existsSync(pidFile)).toBe(false);

        writeFileSync(pidFile, `${pid}\n`);
        const stop = await runCli(['stop'], { TRIBUTARY_DATA_DIR: dataDir });
        expect(stop.code).toBe(0);
        expect(stop.stderr).toContain('stale pid file');
        expect(stop.stdout).toContain('not running');
        expect(existsSync(pidFile)).toBe(false);
      }
      const nothing = await runCli(['stop'], { TRIBUTARY_DATA_DIR: dataDir });
      expect(nothing.code).toBe(0);
      expect(nothing.stdout).toContain('not running');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('tail', () => {
    const env = useRedis();

    const publish = (type: string, data: unknown) =>
      env.redis.sendCommand<string>([
        'XADD',
        'shop:events',
        '*',
        ...Object.entries(
          encodeEnvelope({ id: newEventId(), type, version: 1, time: new Date().toISOString(), source: 'shop', correlationId: 'corr-1', causationId: null, traceparent: newTraceparent(), data }),
        ).flat(),
      ]);

    it('prints entries after --since, malformed ones as such, filters by --type and stops after --count', async () => {
      const before = await publish('OrderPlaced', { orderId: 'o-0' });
      const placed = await publish('OrderPlaced', { orderId: 'o-1' });
      const garbage = await env.redis.sendCommand<string>(['XADD', 'shop:events', '*', 'garbage', 'yes']);
      const paid = await publish('OrderPaid', { orderId: 'o-1', cents: 450 });

      const text = await runCli(['tail', 'shop:events', '--since', before, '--count', '3', '--url', env.server.url]);
      expect(text.code).toBe(0);
      const lines = text.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(new RegExp(`^\\S+Z  OrderPlaced  ${placed}  corr=corr-1  \\{"orderId":"o-1"\\}$`));
      expect(lines[1]).toContain(`MALFORMED  ${garbage}  missing field "id"`);
      expect(lines[2]).toContain(`OrderPaid  ${paid}  corr=corr-1  {"orderId":"o-1","cents":450}`);

      const json = await runCli(['tail', 'shop:events', '--from-start', '--type', 'OrderPaid', '--count', '1', '--json'], { REDIS_URL: env.server.url });
      expect(json.code).toBe(0);
      expect(json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual([
        expect.objectContaining({ stream: 'shop:events', entryId: paid, type: 'OrderPaid', correlationId: 'corr-1', data: { orderId: 'o-1', cents: 450 } }),
      ]);
      const malformed = await runCli(['tail', 'shop:events', '--since', placed, '--count', '1', '--json', '--url', env.server.url]);
      expect(JSON.parse(malformed.stdout)).toMatchObject({ entryId: garbage, malformed: true, fields: { garbage: 'yes' } });
    });

    it('follows new entries until Ctrl-C, then exits 0', async () => {
      const child = spawnCli(['tail', 'live:events', '--url', env.server.url]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      try {
        await waitFor(() => stderr.includes('following live:events'), { timeoutMs: 30_000, description: 'tail started' });
        await env.redis.sendCommand(['XADD', 'live:events', '*', 'not', 'an envelope']);
        await waitFor(() => stdout.includes('MALFORMED'), { timeoutMs: 15_000, description: 'the new entry printed' });
        child.kill('SIGINT');
        expect(await exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
});
