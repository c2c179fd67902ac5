import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createClient } from 'redis';
// Only the service list, not the launcher (which would load the test Redis and SQL helpers).
import { BUS_URL_FILE } from '@tributary/launcher/services';
import { connectRedis, formatSentinelUrl, parseSentinelUrl, redactUrl, SENTINEL_SCHEME, type RedisClient } from 'tributary';
import { CliError, EXIT } from './errors.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

/** Where `npm start` keeps its data (and the bus URL file): as apps/launcher/src/main.ts decides. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TRIBUTARY_DATA_DIR ?? join(repoRoot, '.data'));
}

export interface RedisOptions {
  url?: string;
  password?: string;
}

/** Adds --url and --password, the connection options of every command that talks to Redis. */
export function withRedisOptions(command: Command): Command {
  return command
    .option(
      '--url <redis url>',
      `Redis to talk to (the system's bus). Default: $REDIS_URL, else the bus Redis of a running \`npm start\`, ` +
        `whose URL it writes to .data/${BUS_URL_FILE} (its private redis-server listens on a free port chosen at start)`,
    )
    .option('--password <password>', 'Redis password (applied to the URL; never printed)');
}

/** The URL to connect to, with --password applied; never logged as is (see `redactUrl`). */
export function resolveRedisUrl(options: RedisOptions, env: NodeJS.ProcessEnv = process.env): string {
  let raw = options.url ?? env.REDIS_URL;
  if (!raw) {
    const file = join(dataDir(env), BUS_URL_FILE);
    try {
      raw = readFileSync(file, 'utf8').trim();
    } catch {
      throw new CliError(`no Redis URL: pass --url or set REDIS_URL, or start the system with \`npm start\` (it writes ${file})`, EXIT.usage);
    }
  }
  if (raw.startsWith(`${SENTINEL_SCHEME}//`)) {
    try {
      const spec = parseSentinelUrl(raw);
      return formatSentinelUrl(options.password === undefined ? spec : { ...spec, password: options.password });
    } catch (error) {
      throw new CliError(`not a Redis URL: ${redactUrl(raw)} ${(error as Error).message}`);
    }
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`not a Redis URL: ${redactUrl(raw)} (expected redis://host:port)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new CliError(`not a Redis URL: ${redactUrl(raw)} (expected redis://, rediss:// or redis+sentinel://)`);
  }
  if (options.password !== undefined) url.password = options.password;
  return url.toString();
}

/**
 * A client for one command's lifetime. Unlike a service's client (which
 * reconnects forever: an outage to ride out), a CLI must fail fast and say
 * so: no reconnects, and a bounded connect.
 */
export async function connectCliRedis(url: string): Promise<RedisClient> {
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) {
    return connectRedis(url, { name: 'tributary-cli', failFast: true }).catch((error: unknown) => {
      throw new CliError(`cannot connect to Redis at ${redactUrl(url)}: ${describe(error)}`);
    });
  }
  const client = createClient({ url, RESP: 2, name: 'tributary-cli', socket: { reconnectStrategy: false, connectTimeout: 5_000 } });
  // Without a listener an 'error' event would crash the process; the failed command reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    throw new CliError(`cannot connect to Redis at ${redactUrl(url)}: ${describe(error)}`);
  }
  return client as unknown as RedisClient;
}

export function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(describe).join('; ');
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text || 'unknown error';
}

/** A commander parser for a positive integer option (a bad value is a usage error, exit 2). */
export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError('expected a positive integer');
  return number;
}
