import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RedisRole } from './redis.ts';
import type { ServiceName } from './services.ts';

/**
 * Under the data directory, owner-only: the passwords the launcher generated
 * for the Redis ACL users and the PostgreSQL roles. Kept, so a restart (or a
 * restarted redis-server) finds the same ones; deleting the file rotates them
 * all at the next start (docs/least-privilege.md).
 */
export const CREDENTIALS_FILE = 'service-credentials.json';

/** A key rotation under way on one server (`tributary keys rotate`): both passwords open the user until it ends. */
export interface Rotation {
  from: string;
  to: string;
}

export interface RedisPasswords {
  admin: string;
  /** The password each service is given (its password file): during a rotation, `from` until the server has `to`, then `to`. */
  services: Partial<Record<ServiceName, string>>;
  /** Rotations begun and not finished: an interrupted one is finished by running the command again. */
  rotating?: Partial<Record<ServiceName, Rotation>>;
}

export interface Credentials {
  redis: Record<RedisRole, RedisPasswords>;
  postgres: Partial<Record<ServiceName, string>>;
}

/** URL-safe, so it goes into a connection string as it is. */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

const isRecordOfStrings = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((entry) => typeof entry === 'string');

function parse(text: string, path: string): Credentials {
  const fail = (): never => {
    throw new Error(`${path} is not the launcher's credentials file; move it away to generate new passwords`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return fail();
  }
  const file = raw as { redis?: Record<string, { admin?: unknown; services?: unknown }>; postgres?: unknown };
  const redis = {} as Record<RedisRole, RedisPasswords>;
  for (const role of ['bus', 'store'] as const) {
    const entry = file.redis?.[role];
    if (!entry || typeof entry.admin !== 'string' || !isRecordOfStrings(entry.services)) return fail();
    const rotating = (entry as { rotating?: unknown }).rotating;
    if (rotating !== undefined) {
      const valid =
        typeof rotating === 'object' && rotating !== null && !Array.isArray(rotating) &&
        Object.values(rotating).every((rotation) => typeof rotation === 'object' && rotation !== null && typeof (rotation as Rotation).from === 'string' && typeof (rotation as Rotation).to === 'string');
      if (!valid) return fail();
    }
    redis[role] = { admin: entry.admin, services: entry.services, ...(rotating ? { rotating: rotating as Partial<Record<ServiceName, Rotation>> } : {}) };
  }
  if (!isRecordOfStrings(file.postgres)) return fail();
  return { redis, postgres: file.postgres };
}

/**
 * The credentials of `dataDir`, with a new password for every user that has
 * none yet (a new service, a first start), written back with mode 0600.
 */
export function loadCredentials(dataDir: string, wanted: { redis: Record<RedisRole, readonly ServiceName[]>; postgres: readonly ServiceName[] }): Credentials {
  const path = join(dataDir, CREDENTIALS_FILE);
  const credentials: Credentials = existsSync(path)
    ? parse(readFileSync(path, 'utf8'), path)
    : { redis: { bus: { admin: newPassword(), services: {} }, store: { admin: newPassword(), services: {} } }, postgres: {} };
  let changed = !existsSync(path);
  for (const role of ['bus', 'store'] as const) {
    for (const service of wanted.redis[role]) {
      if (credentials.redis[role].services[service]) continue;
      credentials.redis[role].services[service] = newPassword();
      changed = true;
    }
  }
  for (const service of wanted.postgres) {
    if (credentials.postgres[service]) continue;
    credentials.postgres[service] = newPassword();
    changed = true;
  }
  if (changed) saveCredentials(dataDir, credentials);
  // An older file made by hand may be readable by others.
  chmodSync(path, 0o600);
  return credentials;
}

/** The credentials file as it is, or null when the launcher never made one here (no per-service users). */
export function readCredentials(dataDir: string): Credentials | null {
  const path = join(dataDir, CREDENTIALS_FILE);
  return existsSync(path) ? parse(readFileSync(path, 'utf8'), path) : null;
}

/** Written aside (mode 0600) and renamed over the old: a crash mid-write never leaves half a file. */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}

export function saveCredentials(dataDir: string, credentials: Credentials): void {
  writeAtomically(join(dataDir, CREDENTIALS_FILE), `${JSON.stringify(credentials, null, 2)}\n`);
}

/** Every password that opens the service's user on this server: its own, and both sides of a rotation under way. */
export function validPasswords(passwords: Pick<RedisPasswords, 'services' | 'rotating'>, service: ServiceName): string[] {
  const rotation = passwords.rotating?.[service];
  const all = [passwords.services[service], rotation?.from, rotation?.to].filter((password): password is string => Boolean(password));
  return [...new Set(all)];
}

/** Under the data directory, one directory per service (0700): its Redis passwords, one file each. */
export const SERVICE_SECRETS_DIR = 'service-secrets';

/**
 * The file a service reads its Redis password from at every (re)connection
 * (`<SERVICE>_BUS_REDIS_PASSWORD_FILE`): what `tributary keys rotate`
 * rewrites to move every instance onto a new key without a restart.
 */
export function passwordFile(dataDir: string, service: ServiceName, role: RedisRole): string {
  return join(dataDir, SERVICE_SECRETS_DIR, service, `${role}-redis-password`);
}

export function writePasswordFile(dataDir: string, service: ServiceName, role: RedisRole, password: string): void {
  writeAtomically(passwordFile(dataDir, service, role), `${password}\n`);
}

/**
 * A Redis URL's parts around its credentials. Written out rather than with
 * `new URL`, which refuses the host lists of `redis+cluster://` and
 * `redis+sentinel://` URLs (`host:port,host:port`).
 */
function splitRedisUrl(url: string): { scheme: string; hosts: string; rest: string } {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!match) throw new Error(`not a URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  const [, scheme = '', authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  return { scheme, hosts: authority.slice(at + 1), rest };
}

/** `url` logged in as `user` (with no password: an empty one, for a password file). */
export function withUser(url: string, user: string, password: string): string {
  const { scheme, hosts, rest } = splitRedisUrl(url);
  return `${scheme}${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@${hosts}${rest}`;
}

/** `url` without its user and password. */
export function withoutUser(url: string): string {
  const { scheme, hosts, rest } = splitRedisUrl(url);
  return `${scheme}${hosts}${rest}`;
}

/**
 * Whether two Redis URLs name the same server (host and port; the database
 * number does not separate ACL users), or the same cluster or Sentinel
 * group (a host in common).
 */
export function sameServer(a: string, b: string): boolean {
  try {
    const nodes = (url: string) => {
      const { hosts } = splitRedisUrl(url);
      return hosts.split(',').map((host) => (/:\d+$/.test(host) ? host : `${host}:6379`).toLowerCase());
    };
    const first = new Set(nodes(a));
    return nodes(b).some((node) => first.has(node));
  } catch {
    return false;
  }
}
