import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import type { Region } from './region.ts';
import { useRegionServers } from './test-fixtures/regions.ts';

const env = useRegionServers(2);
const fixture = fileURLToPath(new URL('./test-fixtures/replicator-process.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function startReplicator(source: Region, target: Region, sourceUrl: string, targetUrl: string, batchSize: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, SOURCE_URL: sourceUrl, TARGET_URL: targetUrl, SOURCE_REGION: source.id, TARGET_REGION: target.id, PREFIX: target.prefix, BATCH_SIZE: String(batchSize) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, output: () => output };
}

describe('active/active replicator crash', () => {
  it('killed with SIGKILL mid-stream and restarted, it applies every entry exactly once', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    const [urlA, urlB] = env.servers.map((server) => server.url) as [string, string];
    const total = 4000;
    for (let start = 0; start < total; start += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => Promise.all([a.incrBy('hits', 1), a.incrMember('board', `m${(start + i) % 7}`, 1)])));
    }
    const lastId = (await a.redis.sendCommand<Array<[string]>>(['XREVRANGE', a.keys.log, '+', '-', 'COUNT', '1']))[0]?.[0];

    // One entry per batch: slow enough that the kill lands mid-stream.
    const first = startReplicator(a, b, urlA, urlB, 1);
    await waitFor(() => /applied/.test(first.output()), { description: 'the first child applying', timeoutMs: 20_000 });
    first.child.kill('SIGKILL');
    await first.exited;
    const cursorAtKill = await b.redis.get(b.keys.cursor(a.id));
    expect(cursorAtKill).not.toBeNull();
    expect(cursorAtKill).not.toBe(lastId);

    const second = startReplicator(a, b, urlA, urlB, 200);
    await waitFor(async () => (await b.redis.get(b.keys.cursor(a.id))) === lastId, { description: 'the restarted child caught up', timeoutMs: 30_000 });
    second.child.kill('SIGKILL');
    await second.exited;

    expect(await b.counter('hits')).toBe(total);
    expect(await b.redis.hGetAll(b.keys.meta('hits'))).toEqual({ r0: String(total) });
    const scores = await b.scores('board');
    expect(scores.reduce((sum, entry) => sum + entry.score, 0)).toBe(total);
    expect(scores).toEqual(await a.scores('board'));
  });
});
