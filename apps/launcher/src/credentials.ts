import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisRole } from './redis.ts';
import type { ServiceName } from './services.ts';

/**
 * Under the data directory, owner-only: the passwords the launcher generated
 * for the Redis ACL users and the PostgreSQL roles. Kept, so a restart (or a
 * restarted redis-server) finds the same ones; deleting the file rotates them
 * all at the next start (docs/least-privilege.md).
 */
export const CREDENTIALS_FILE = 'service-credentials.json';

export interface RedisPasswords {
  admin: string;
  services: Partial<Record<ServiceName, string>>;
}

export interface Credentials {
  redis: Record<RedisRole, RedisPasswords>;
  postgres: Partial<Record<ServiceName, string>>;
}

/** URL-safe, so it goes into a connection string as it is. */
function newPassword(): string {
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
    redis[role] = { admin: entry.admin, services: entry.services };
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
  if (changed) {
    mkdirSync(dataDir, { recursive: true });
    // Written aside and renamed: a crash mid-write never leaves half a file.
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, path);
  }
  // An older file made by hand may be readable by others.
  chmodSync(path, 0o600);
  return credentials;
}

/** `url` logged in as `user`. */
export function withUser(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
