import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LendingRequested, RequestAccepted, RequestRejected, ReturnProcessed, ReturnRequested } from '@tributary/contracts';
import { connectRedis, encodeEnvelope, newEventId, newTraceparent, type RedisClient } from 'tributary';
import { freePort, readStreamEvents, startRedisServer, type RedisServer } from 'tributary/testing';
import { lendingEvents, runCli, scriptedLending } from './harness.ts';

const ENTRY_ID = /\[(\d+-\d+)\]/;

// Each test spawns the bin (tsx start-up) several times: slow when the machine is busy.
describe('tributary lending (against a scripted lending service)', { timeout: 120_000 }, () => {
  let server: RedisServer;
  let redis: RedisClient;
  let url: string;
  beforeAll(async () => {
    server = await startRedisServer();
    url = server.url;
    redis = await connectRedis(url);
  });
  beforeEach(async () => {
    await redis.sendCommand(['FLUSHALL']);
  });
  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  });

  it('--help exits 0 on every command and says where the default Redis comes from', async () => {
    const helps: string[] = [];
    for (const args of [['--help'], ['lending', '--help'], ['lending', 'request', '--help'], ['lending', 'return', '--help']]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain('Usage: tributary');
      helps.push(run.stdout);
    }
    const help = (helps[2] as string).replace(/\s+/g, ' ');
    expect(help).toContain('$REDIS_URL');
    expect(help).toContain('.data/bus-redis.url');
    for (const option of ['--url', '--password', '--timeout', '--no-wait', '--json']) expect(help).toContain(option);
  });

  it.for([
    { args: ['lending', 'request'] },
    { args: ['lending', 'request', 'Salvatore'] },
    { args: ['lending', 'request', 'Salvatore', 'of mice and men'] },
    { args: ['lending', 'return', 'Salvatore', 'a', 'a'] },
    { args: ['lending', 'request', '--timeout', 'soon', 'Salvatore', 'ofmiceandmen'] },
    { args: ['lending', 'borrow', 'Salvatore', 'ofmiceandmen'] },
    { args: ['lending', 'request', '--frobnicate', 'Salvatore', 'ofmiceandmen'] },
  ].map(({ args }) => ({ args, command: args.join(' ') })))('usage error $command exits 2 with a message and writes nothing', { concurrent: true }, async ({ args }, { expect }) => {
    const run = await runCli(args, { REDIS_URL: url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error|invalid/i);
    expect(await redis.sendCommand(['EXISTS', 'lending:requests'])).toBe(0);
  });

  it('exits 2 when no Redis URL is given anywhere, naming the ways to give one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
    try {
      const run = await runCli(['lending', 'request', 'Salvatore', 'ofmiceandmen'], { TRIBUTARY_DATA_DIR: empty });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--url');
      expect(run.stderr).toContain('REDIS_URL');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('exits 1 with a message for a bad or unreachable Redis URL, never printing the password', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    for (const args of [
      ['--url', closed, '--password', 'wibblewobble'],
      ['--url', 'not a url', '--password', 'wibblewobble'],
      ['--url', 'http://127.0.0.1:80'],
      ['--url', closed.replace('redis://', 'redis://:wibblewobble@')],
    ]) {
      const run = await runCli(['lending', 'request', ...args, 'Salvatore', 'ofmiceandmen']);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/tributary: (cannot connect to Redis|not a Redis URL)/);
      expect(run.stdout + run.stderr).not.toContain('wibblewobble');
    }
  });

  it('--no-wait appends a LendingRequested envelope and prints its entry id', async () => {
    const run = await runCli(['lending', 'request', '--url', url, '--no-wait', 'Salvatore', 'ofmiceandmen']);
    expect(run.code).toBe(0);
    const entries = await readStreamEvents(redis, 'lending:requests');
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(run.stdout).toContain(`Request: [${entry?.id}] by Salvatore submitted.`);
    expect(entry?.envelope).toMatchObject({ type: 'LendingRequested', version: 1, source: 'lending', data: { userId: 'Salvatore', bookIds: ['ofmiceandmen'] } });
    expect(LendingRequested.validate(entry?.envelope.data)).toBeNull();
  });

  it('finds the Redis from REDIS_URL, then from the file `npm start` writes', async () => {
    const fromEnv = await runCli(['lending', 'return', '--no-wait', 'Salvatore', 'ofmiceandmen'], { REDIS_URL: url });
    expect(fromEnv.code).toBe(0);
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
    try {
      writeFileSync(join(dataDir, 'bus-redis.url'), `${url}\n`);
      const fromFile = await runCli(['lending', 'return', '--no-wait', 'Salvatore', 'ofmiceandmen'], { TRIBUTARY_DATA_DIR: dataDir });
      expect(fromFile.code).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    const entries = await readStreamEvents(redis, 'lending:requests');
    expect(entries.map((entry) => entry.envelope.type)).toEqual(['ReturnRequested', 'ReturnRequested']);
    expect(entries.every((entry) => ReturnRequested.validate(entry.envelope.data) === null)).toBe(true);
  });

  it('times out with exit 1 and a message when nobody answers; the request stays on the stream', async () => {
    const run = await runCli(['lending', 'request', '--url', url, '--timeout', '300', 'Salvatore', 'ofmiceandmen']);
    expect(run.code).toBe(1);
    const id = run.stdout.match(ENTRY_ID)?.[1];
    expect(id).toBeDefined();
    expect(run.stderr).toContain(`no outcome for ${id} within 300 ms`);
    expect((await readStreamEvents(redis, 'lending:requests')).map((entry) => entry.id)).toEqual([id]);
  });

  it('prints the book\'s lines for an accepted request, skipping other requests\' events and garbage', async () => {
    const lending = await scriptedLending(url, async ({ id, envelope }, bus) => {
      const data = envelope.data as { userId: string; bookIds: string[] };
      // Noise first: the CLI must pick its own outcome out of the stream.
      await bus.sendCommand(['XADD', 'lending:events', '*', 'not', 'an envelope']);
      await lendingEvents(bus).publish(RequestAccepted, { requestId: '1-1', userId: 'someone', bookIds: ['other'], unavailableBookIds: [] });
      await lendingEvents(bus).publish(RequestAccepted, { requestId: id, userId: data.userId, bookIds: data.bookIds.slice(0, 2), unavailableBookIds: data.bookIds.slice(2) });
    });
    try {
      const run = await runCli(['lending', 'request', '--url', url, 'Salvatore', 'ofmiceandmen', 'dune', 'ulysses']);
      expect(run.code).toBe(0);
      const id = (await readStreamEvents(redis, 'lending:requests'))[0]?.id;
      expect(run.stdout.split('\n')).toEqual([
        `Request: [${id}] by Salvatore submitted, waiting for the lending service…`,
        `Request: [${id}] by Salvatore ACCEPTED.`,
        'Books:',
        '1) ofmiceandmen',
        '2) dune',
        'Unavailable:',
        '1) ulysses',
        '',
      ]);
      expect(run.stderr).toBe('');
    } finally {
      await lending.close();
    }
  });

  it('prints REJECTED with the reason and exits 0: a rejection is an answer', async () => {
    const lending = await scriptedLending(url, async ({ id, envelope }, bus) => {
      const data = envelope.data as { userId: string; bookIds: string[] };
      await lendingEvents(bus).publish(RequestRejected, { requestId: id, userId: data.userId, bookIds: data.bookIds, reason: 'NONE_AVAILABLE', bookIdsAtFault: data.bookIds });
    });
    try {
      const run = await runCli(['lending', 'request', '--url', url, 'Salvatore', 'ofmiceandmen']);
      expect(run.code).toBe(0);
      const id = run.stdout.match(ENTRY_ID)?.[1];
      expect(run.stdout).toContain(`Request: [${id}] by Salvatore REJECTED (NONE_AVAILABLE).\nBooks at fault:\n1) ofmiceandmen\n`);
    } finally {
      await lending.close();
    }
  });

  it('prints a processed return with returned and refused books, and --json gives one object per line', async () => {
    const lending = await scriptedLending(url, async ({ id, envelope }, bus) => {
      const data = envelope.data as { userId: string; bookIds: string[] };
      await lendingEvents(bus).publish(ReturnProcessed, { requestId: id, userId: data.userId, returnedBookIds: data.bookIds.slice(0, 1), refusedBookIds: data.bookIds.slice(1) });
    });
    try {
      const text = await runCli(['lending', 'return', '--url', url, 'Salvatore', 'ofmiceandmen', 'dune']);
      expect(text.code).toBe(0);
      const id = text.stdout.match(ENTRY_ID)?.[1];
      expect(text.stdout).toContain(`Book Return [${id}] PROCESSED\nReturned:\n1) ofmiceandmen\nRefused (not lent to this user):\n1) dune\n`);

      const json = await runCli(['lending', 'return', '--url', url, '--json', 'Salvatore', 'ofmiceandmen']);
      expect(json.code).toBe(0);
      const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      const requestId = (await readStreamEvents(redis, 'lending:requests'))[1]?.id;
      expect(lines).toEqual([
        { requestId, kind: 'return', status: 'SUBMITTED', userId: 'Salvatore', bookIds: ['ofmiceandmen'] },
        { requestId, kind: 'return', status: 'PROCESSED', userId: 'Salvatore', returnedBookIds: ['ofmiceandmen'], refusedBookIds: [] },
      ]);
    } finally {
      await lending.close();
    }
  });

  it('exits 1 when the outcome for its request breaks the contract', async () => {
    const lending = await scriptedLending(url, async ({ id }, bus) => {
      const envelope = { id: newEventId(), type: 'RequestAccepted', version: 1, time: new Date().toISOString(), source: 'lending', correlationId: 'c', causationId: null, traceparent: newTraceparent(), data: { requestId: id } };
      await bus.sendCommand(['XADD', 'lending:events', '*', ...Object.entries(encodeEnvelope(envelope)).flat()]);
    });
    try {
      const run = await runCli(['lending', 'request', '--url', url, 'Salvatore', 'ofmiceandmen']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('lending published an invalid RequestAccepted');
    } finally {
      await lending.close();
    }
  });

  it('applies --password to the URL', async () => {
    // On this server at run time: the testing helper's readiness probe has no password.
    // The test's own connection stays authenticated, so it can lift it again.
    await redis.sendCommand(['CONFIG', 'SET', 'requirepass', 'wibblewobble']);
    try {
      const ok = await runCli(['lending', 'request', '--url', url, '--password', 'wibblewobble', '--no-wait', 'Salvatore', 'ofmiceandmen']);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(ENTRY_ID);
      const wrong = await runCli(['lending', 'request', '--url', url, '--password', 'wrong-one', '--no-wait', 'Salvatore', 'ofmiceandmen']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('cannot connect to Redis at redis://:***@127.0.0.1');
      expect(wrong.stdout + wrong.stderr).not.toContain('wrong-one');
      expect(await redis.sendCommand(['XLEN', 'lending:requests'])).toBe(1);
    } finally {
      await redis.sendCommand(['CONFIG', 'SET', 'requirepass', '']);
    }
  });
});
