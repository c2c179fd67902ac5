import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createClient } from '@redis/client';
// Only the service list, not the launcher (which would load the test Redis and SQL helpers).
import { BUS_URL_FILE, PRIVATE_TLS_DIR, STORE_URL_FILE } from '@tributary/launcher/services';
import { connectRedis, formatClusterUrl, formatSentinelUrl, isClusterUrl, parseClusterUrl, parseSentinelUrl, redactUrl, redisTlsFromEnv, SENTINEL_SCHEME, sentinelAuthFromEnv, tlsSocketOptions, TributaryError, wantsTls, type RedisClient, type RedisTls } from 'tributary';
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
  if (isClusterUrl(raw)) {
    try {
      const spec = parseClusterUrl(raw);
      return formatClusterUrl(options.password === undefined ? spec : { ...spec, password: options.password });
    } catch (error) {
      throw new CliError(`not a Redis URL: ${redactUrl(raw)} ${(error as Error).message}`);
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
    throw new CliError(`not a Redis URL: ${redactUrl(raw)} (expected redis://, rediss://, redis+sentinel:// or redis+cluster://)`);
  }
  if (options.password !== undefined) url.password = options.password;
  return url.toString();
}

/**
 * The TLS settings the CLI uses for a `rediss://` URL of the given role:
 * `BUS_REDIS_TLS_*` (or `STORE_…`) > `REDIS_TLS_*`, as the services read them
 * (docs/redis-deployments.md, "TLS"). Without any, a URL that `npm start`
 * wrote for its own TLS-only servers (TRIBUTARY_REDIS_TLS=on) gets the
 * certificates the launcher made beside it.
 */
export function cliRedisTls(role: 'bus' | 'store' = 'bus', env: NodeJS.ProcessEnv = process.env, url?: string): RedisTls | undefined {
  const given = redisTlsFromEnv(env, role);
  if (given || !url || !wantsTls(url)) return given;
  const dir = dataDir(env);
  const written = [BUS_URL_FILE, STORE_URL_FILE].map((file) => {
    try {
      return readFileSync(join(dir, file), 'utf8').trim();
    } catch {
      return null;
    }
  });
  const tls = join(dir, PRIVATE_TLS_DIR);
  if (!written.includes(url) || !existsSync(join(tls, 'ca.crt'))) return undefined;
  return { caFile: join(tls, 'ca.crt'), certFile: join(tls, 'client.crt'), keyFile: join(tls, 'client.key') };
}

/** node-redis socket options for a rediss:// URL; an unreadable TLS file is a usage error naming its setting. */
function cliTlsOptions(url: string, tls: RedisTls | undefined): ReturnType<typeof tlsSocketOptions> | Record<string, never> {
  if (!wantsTls(url)) return {};
  try {
    return tlsSocketOptions(tls);
  } catch (error) {
    if (error instanceof TributaryError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/**
 * A client for one command's lifetime. Unlike a service's client (which
 * reconnects forever: an outage to ride out), a CLI must fail fast and say
 * so: no reconnects, and a bounded connect.
 */
export async function connectCliRedis(url: string, tls: RedisTls | undefined = cliRedisTls('bus', process.env, url)): Promise<RedisClient> {
  if (isClusterUrl(url)) {
    // The kit's cluster client: commands go to the node of their key; failFast ends the first connection's attempts at once.
    return connectRedis(url, { name: 'tributary-cli', failFast: true, tls }).catch((error: unknown) => {
      throw new CliError(`cannot connect to Redis at ${redactUrl(url)}: ${describe(error)}`);
    });
  }
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) {
    // The Sentinels' own password, if they have one: BUS_REDIS_SENTINEL_PASSWORD > REDIS_SENTINEL_PASSWORD (and _USERNAME).
    return connectRedis(url, { name: 'tributary-cli', failFast: true, sentinelAuth: sentinelAuthFromEnv(process.env, 'bus') }).catch((error: unknown) => {
      throw new CliError(`cannot connect to Redis at ${redactUrl(url)}: ${describe(error)}`);
    });
  }
  const client = createClient({ url, RESP: 2, name: 'tributary-cli', socket: { ...cliTlsOptions(url, tls), reconnectStrategy: false, connectTimeout: 5_000 } });
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

/** --bus-url / --store-url, else what a running `npm start` wrote under the data directory, else BUS_REDIS_URL / STORE_REDIS_URL. */
export function systemRedisUrl(role: 'bus' | 'store', given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given) return given;
  const file = join(dataDir(env), role === 'bus' ? BUS_URL_FILE : STORE_URL_FILE);
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text) return text;
  } catch {
    // not started by `npm start` here
  }
  const variable = role === 'bus' ? env.BUS_REDIS_URL : env.STORE_REDIS_URL;
  if (variable) return variable;
  throw new CliError(`no ${role} Redis URL: pass --${role}-url, or run this where \`npm start\` runs (it writes ${file})`, EXIT.usage);
}
