import { createHash } from 'node:crypto';
import { streamKeys } from 'tributary';
import { validPasswords, type Rotation } from './credentials.ts';
import type { RedisRole } from './redis.ts';
import { SERVICES, type ServiceName } from './services.ts';

/**
 * What each service does on the bus and the store Redis, declared once: the
 * ACL rules below are derived from this table and nowhere else, so giving a
 * service a new stream to read is one line here (docs/least-privilege.md).
 *
 * Every service owns the keys `<service>:*` (its stream `<service>:events`,
 * that stream's dead letters, its state) and the pub/sub channels
 * `<service>:*` on both servers, and nothing else on the store. The rest is
 * what it may do on the bus outside them.
 */
export interface RedisAccess {
  /** Other services' streams it reads through its own consumer group. */
  readonly consumes: readonly string[];
  /** Reads every stream without a group (operator views): never writes one. */
  readonly viewsAllStreams?: boolean;
  /** Reads INFO on the servers it uses (the system page: is each Redis up, how much memory). */
  readonly serverInfo?: boolean;
  /** Puts dead letters back on their stream for an operator (XADD to any stream, XDEL on dead letters). */
  readonly replaysDeadLetters?: boolean;
  /** Others' pub/sub channels on the bus it subscribes to (never publishes to). */
  readonly subscribes?: readonly string[];
}

/** Every stream on the bus: `<service>:events`, lending's request stream and accounts' payments (both under their owner's prefix). */
export const STREAMS: readonly string[] = [...SERVICES.map((name) => `${name}:events`), 'lending:requests', 'accounts:payments'];

export const REDIS_ACCESS: Record<ServiceName, RedisAccess> = {
  accounts: { consumes: ['ordering:events'] },
  catalog: { consumes: [] },
  ordering: { consumes: ['accounts:events', 'accounts:payments', 'fulfillment:events', 'catalog:events', 'basket:events', 'delivery:events'] },
  fulfillment: { consumes: ['catalog:events', 'ordering:events'] },
  'order-monitoring': { consumes: ['ordering:events'] },
  basket: { consumes: ['accounts:events', 'catalog:events', 'ordering:events'] },
  mailing: { consumes: ['accounts:events', 'ordering:events', 'fulfillment:events'] },
  package: { consumes: ['fulfillment:events'] },
  delivery: { consumes: ['package:events', 'drone-sim:events', 'delivery-history:events'] },
  'drone-sim': { consumes: ['delivery:events'] },
  'delivery-history': { consumes: ['delivery:events'] },
  // Lending's state lives on the bus beside its streams (services/lending/src/store/keys.ts): all under `lending:`.
  shelving: { consumes: ['lending:events'] },
  lending: { consumes: [] },
  gateway: { consumes: [], viewsAllStreams: true, serverInfo: true, replaysDeadLetters: true, subscribes: ['delivery:positions'] },
};

/** The launcher's own user on both servers: health checks, the CLI (bus URL file), operators. */
export const ADMIN_USER = 'tributary-launcher';

/**
 * Everything on the user's own keys except what reaches beyond them: server
 * administration and the dangerous commands (FLUSHALL, KEYS, CONFIG, DEBUG,
 * CLIENT KILL, INFO...), and script/function management (SCRIPT FLUSH would
 * drop every service's scripts). Running and caching scripts stays: Redis
 * checks each command a script runs against the same rules.
 */
const OWN_COMMANDS = ['+@all', '-@dangerous', '-@admin', '-@scripting', '+eval', '+evalsha', '+eval_ro', '+evalsha_ro', '+script|load', '+script|exists'];
/**
 * Reading another service's stream through one's own group (the group itself
 * cannot be limited by ACL), or without one (projections keep their own cursor).
 */
const GROUP_READ = ['+xreadgroup', '+xread', '+xack', '+xautoclaim', '+xclaim', '+xpending', '+xgroup|create', '+xgroup|createconsumer', '+xgroup|setid', '+xinfo|stream', '+xinfo|groups', '+xinfo|consumers', '+xrange', '+xrevrange', '+xlen'];
/** Dead letters of a consumed stream: the consumer adds what it gives up on. */
const DEAD_LETTER_WRITE = ['+xadd', '+xrange', '+xlen'];
const STREAM_VIEW = ['+xrange', '+xrevrange', '+xread', '+xlen', '+xinfo|stream', '+xinfo|groups', '+xinfo|consumers'];

function selector(parts: readonly string[]): string {
  return `(${parts.join(' ')})`;
}

/** The ACL rules (after `reset on <password>`) of one service on one server. */
export function serviceRules(service: ServiceName, role: RedisRole): string[] {
  const access = REDIS_ACCESS[service];
  // Its own keys, and the dead letters of its own streams (`{lending:requests}:dlq`: the braces put them in the stream's Cluster slot).
  const own = [`~${service}:*`, `~${streamKeys.deadLetters(`${service}:*`)}`, `&${service}:*`, ...OWN_COMMANDS, ...(access.serverInfo ? ['+info'] : [])];
  if (role === 'store') return own;
  const rules = [...own];
  const consumed = access.consumes.filter((stream) => !stream.startsWith(`${service}:`));
  if (consumed.length > 0) {
    rules.push(selector([...consumed.map((stream) => `~${stream}`), ...GROUP_READ]));
    rules.push(selector([...consumed.map((stream) => `~${streamKeys.deadLetters(stream)}`), ...DEAD_LETTER_WRITE]));
  }
  if (access.viewsAllStreams) {
    rules.push(selector([...STREAMS.flatMap((stream) => [`%R~${stream}`, `%R~${streamKeys.deadLetters(stream)}`]), ...STREAM_VIEW]));
  }
  if (access.replaysDeadLetters) {
    rules.push(selector([...STREAMS.map((stream) => `~${stream}`), '+xadd']));
    rules.push(selector([...STREAMS.map((stream) => `~${streamKeys.deadLetters(stream)}`), '+xdel', '+xrange', '+xlen']));
  }
  if (access.subscribes?.length) rules.push(selector([...access.subscribes.map((channel) => `&${channel}`), '+subscribe', '+unsubscribe', '+ssubscribe', '+sunsubscribe']));
  return rules;
}

export const ADMIN_RULES = ['~*', '&*', '+@all'];
/**
 * Off and without a password: no connection is ever the default user, and
 * none can log in as it (`ACL LIST` shows `user default off ...`). Its
 * permissions stay whole on purpose: redis-server 7.0 replays the AOF's
 * transactions (MULTI/EXEC, and every script's effects are written as one)
 * as the default user and checks them against its rules, so a `-@all`
 * default silently drops every transaction on a restart: a kill -9 lost
 * every basket and every lending decision (found by test/chaos.test.ts).
 */
export const DEFAULT_USER_RULES = ['off', 'resetpass', '~*', '&*', '+@all'];

/**
 * The services with a user on this server: every one, on both, so `ACL LIST`
 * is the list of services (a service that keeps nothing on the store may
 * still only reach its own prefix there).
 */
export function redisUsers(_role: RedisRole): ServiceName[] {
  return [...SERVICES];
}

/** `#<sha256>`: the aclfile holds no password in clear. */
export function passwordHash(password: string): string {
  return `#${createHash('sha256').update(password).digest('hex')}`;
}

/**
 * The aclfile a private redis-server starts with: the launcher's user, one
 * user per service, `default` off. Read again on every (re)start, so users
 * come back after the supervisor restarts a server.
 */
export function aclFile(role: RedisRole, passwords: { admin: string; services: Partial<Record<ServiceName, string>>; rotating?: Partial<Record<ServiceName, Rotation>> }): string {
  const lines = [`user default ${DEFAULT_USER_RULES.join(' ')}`, `user ${ADMIN_USER} on ${passwordHash(passwords.admin)} ${ADMIN_RULES.join(' ')}`];
  for (const service of redisUsers(role)) {
    const all = validPasswords(passwords, service);
    if (all.length === 0) throw new Error(`no ${role} Redis password for ${service}`);
    lines.push(`user ${service} on ${all.map(passwordHash).join(' ')} ${serviceRules(service, role).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The `ACL SETUSER` commands that give a server these users (what the
 * launcher runs on an external Redis; `tributary-acl` prints them for an
 * operator). The password goes in clear (`>`): Redis stores only its hash.
 */
export function setUserCommands(role: RedisRole, passwords: Partial<Record<ServiceName, string>>, rotating?: Partial<Record<ServiceName, Rotation>>): string[][] {
  return redisUsers(role).map((service) => {
    // Both sides of a rotation under way: instances still on the old key keep logging in.
    const all = validPasswords({ services: passwords, ...(rotating ? { rotating } : {}) }, service);
    if (all.length === 0) throw new Error(`no ${role} Redis password for ${service}`);
    return ['ACL', 'SETUSER', service, 'reset', 'on', ...all.map((password) => `>${password}`), ...serviceRules(service, role)];
  });
}
