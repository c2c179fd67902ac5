import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { bundledEntryArgs } from '@tributary/launcher/cached-bundle';
import { connectRedis, createPublisher, decodeEnvelope, replyRecord, replyStreams, type RedisClient } from 'tributary';
import { freePort, waitFor, type StreamEvent } from 'tributary/testing';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const BIN = resolve(import.meta.dirname, '..', 'bin', 'tributary.mjs');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `tributary` bin as a child process, in `cliEnv(env)`.
 */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnCli(args, env);
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/**
 * The environment a test runs the bin in: the test's, less anything that
 * would point it at another Redis, gateway or system (the shared Redis on
 * 6379, someone's gateway on 8080), plus `env`.
 */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['REDIS_URL', 'TRIBUTARY_DATA_DIR', 'TRIBUTARY_URL', 'PORT', 'ADMIN_API_KEY', 'BUS_REDIS_URL', 'STORE_REDIS_URL', 'DATABASE_URL']) delete base[name];
  return { ...base, NO_COLOR: '1', ...env };
}

/** The bin as a child process with piped output, for a test that signals it or reads it as it runs. */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A lending request as the stand-in below answers it: its entry id and envelope. */
export type ReadRequest = StreamEvent;

/**
 * A stand-in for the lending service that answers each entry on
 * lending:requests as `answer` says, so the CLI's output for every outcome
 * can be checked without the real rules deciding it.
 */
export async function scriptedLending(url: string, answer: (request: ReadRequest, bus: RedisClient) => Promise<void>): Promise<{ close(): Promise<void> }> {
  const redis = await connectRedis(url);
  let running = true;
  let cursor = '0-0';
  const loop = (async () => {
    while (running) {
      // A short block so close() is prompt; this waits for entries, not for time.
      const [read] = replyStreams(await redis.sendCommand(['XREAD', 'BLOCK', '100', 'STREAMS', 'lending:requests', cursor]));
      for (const [id, flat] of read?.entries ?? []) {
        cursor = id;
        const decoded = decodeEnvelope(replyRecord(flat));
        if (decoded.ok) await answer({ id, envelope: decoded.envelope }, redis);
      }
    }
  })();
  return {
    async close() {
      running = false;
      await loop;
      await redis.close();
    },
  };
}

export const lendingEvents = (redis: RedisClient) => createPublisher({ redis, service: 'lending' });

export interface ServiceProcess {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Runs a service's main.ts as a child process (as `npm start` does) and
 * waits for its /healthz; its output is kept for the failure message.
 */
export async function startServiceProcess(service: string, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const prefix = service.toUpperCase().replace(/-/g, '_');
  // From a bundle, as the launcher runs it: tsx's loader costs each process seconds of CPU.
  const child = spawn(process.execPath, await bundledEntryArgs(resolve(ROOT, 'services', service, 'src', 'main.ts')), {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', TRIBUTARY_INSTANCE: `${service}-cli-test`, ...env, [`${prefix}_PORT`]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}: ${output}`);
        try {
          return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `${service} /healthz`, stopOn: (error) => error instanceof Error && error.message.includes('exited with') },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { url, log: () => output, stop };
}
