import { createClient } from '@redis/client';
import { TributaryError } from '../errors.ts';
import { formatAuthority, parseHostList, urlProblem } from './host-list.ts';
import { redisSetting } from './settings.ts';

/**
 * `redis+sentinel://[user:pass@]host:port[,host:port...]/<master-name>[/<db>]`:
 * the primary is whatever the Sentinels name for `<master-name>`. The
 * credentials are for the data nodes; the Sentinels' own (their
 * `requirepass` or an ACL user on them) come from the settings
 * (`REDIS_SENTINEL_USERNAME` / `REDIS_SENTINEL_PASSWORD`, sentinelAuthFromEnv),
 * not the URL, which has room for one user. WHATWG `URL` cannot parse a host
 * list, hence a parser.
 */
export interface SentinelUrl {
  sentinels: Array<{ host: string; port: number }>;
  masterName: string;
  username?: string;
  password?: string;
  database?: number;
  /** Whom to log in to the Sentinels as; without a username, `AUTH <password>` (Sentinel's `requirepass`). */
  sentinelAuth?: SentinelAuth;
}

export interface SentinelAuth {
  username?: string;
  password: string;
}

/**
 * The Sentinels' credentials for one role's Redis:
 * `[<SERVICE>_][<ROLE>_]REDIS_SENTINEL_PASSWORD` and `…_SENTINEL_USERNAME`
 * (redis/settings.ts). Undefined without a password.
 */
export function sentinelAuthFromEnv(env: NodeJS.ProcessEnv, role: 'bus' | 'store' | undefined, service?: string): SentinelAuth | undefined {
  const password = redisSetting(env, role, service, 'SENTINEL_PASSWORD')?.[1];
  if (password === undefined) return undefined;
  const username = redisSetting(env, role, service, 'SENTINEL_USERNAME')?.[1];
  return username === undefined ? { password } : { username, password };
}

export const SENTINEL_SCHEME = 'redis+sentinel:';

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/([^/?#]+)(?:\/(\d+))?\/?$/;

/** Parses a Sentinel URL, or throws TRIB_INVALID_CONFIG saying what is wrong with it (without echoing the password). */
export function parseSentinelUrl(url: string): SentinelUrl {
  const match = SENTINEL_URL.exec(url);
  if (!match) throw urlProblem('is not of the form redis+sentinel://[user:pass@]host:port[,host:port...]/<master-name>');
  const [, username, password, hosts = '', masterName = '', database] = match;
  const sentinels = parseHostList(hosts, 'Sentinel');
  return {
    sentinels,
    masterName: decodeURIComponent(masterName),
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    ...(database === undefined ? {} : { database: Number(database) }),
  };
}

/** The Sentinel URL for a parsed one (e.g. after changing its password). */
export function formatSentinelUrl(spec: SentinelUrl): string {
  return `redis+sentinel://${formatAuthority(spec, spec.sentinels)}/${encodeURIComponent(spec.masterName)}${spec.database === undefined ? '' : `/${spec.database}`}`;
}

/** The `redis://` URL of a data node found through Sentinel, carrying the credentials and database of the Sentinel URL. */
export function nodeUrl(spec: SentinelUrl, node: { host: string; port: number }): string {
  return `redis://${formatAuthority(spec, [node])}${spec.database === undefined ? '' : `/${spec.database}`}`;
}

/**
 * Asks the Sentinels in turn for the primary's address (SENTINEL
 * get-master-addr-by-name); the first that answers wins. Sentinels agree on
 * the primary after a failover through their quorum, so one answer is enough.
 */
export async function discoverPrimary(spec: SentinelUrl): Promise<{ host: string; port: number }> {
  const failures: string[] = [];
  for (const sentinel of spec.sentinels) {
    const auth = spec.sentinelAuth;
    const client = createClient({
      socket: { host: sentinel.host, port: sentinel.port, reconnectStrategy: false, connectTimeout: 2_000 },
      RESP: 2,
      ...(auth ? { password: auth.password, ...(auth.username ? { username: auth.username } : {}) } : {}),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const reply = await client.sendCommand<[string, string] | null>(['SENTINEL', 'get-master-addr-by-name', spec.masterName]);
      if (reply) return { host: reply[0], port: Number(reply[1]) };
      failures.push(`${sentinel.host}:${sentinel.port} does not know "${spec.masterName}"`);
    } catch (error) {
      failures.push(`${sentinel.host}:${sentinel.port}: ${(error as Error).message}`);
    } finally {
      if (client.isOpen) client.destroy();
    }
  }
  throw new TributaryError('TRIB_NO_PRIMARY', `no Sentinel named the primary "${spec.masterName}" (${failures.join('; ')})`);
}
