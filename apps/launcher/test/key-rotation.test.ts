import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import { waitFor } from 'tributary/testing';
import { ADMIN_USER, aclFile, passwordHash, redisUsers } from '../src/acl.ts';
import { loadCredentials, passwordFile, readCredentials, withUser, writePasswordFile, type Credentials } from '../src/credentials.ts';
import { startPrivateRedis, type PrivateRedis, type RedisRole } from '../src/redis.ts';
import { rotateServiceKey, RotationError, type RotationStep } from '../src/rotate.ts';

/**
 * `tributary keys rotate` against the launcher's own kind of servers (an
 * aclfile each): a client that reads its password file at every connection
 * keeps working through a rotation and a forced reconnect, the old password
 * is refused afterwards, and a rotation cut short after any step leaves a
 * state every service connects in and is finished by running it again.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'tributary-key-rotation-'));
const roles = ['bus', 'store'] as const;
const servers = {} as Record<RedisRole, PrivateRedis>;
const clients: RedisClient[] = [];
let adminUrls: Record<RedisRole, string>;

const credentials = (): Credentials => readCredentials(dataDir) as Credentials;
const servicePassword = (role: RedisRole, service: 'ordering' | 'basket') => readFileSync(passwordFile(dataDir, service, role), 'utf8').trim();

/** The service's way in: its user in the URL, its password from its file, at every (re)connection. */
async function asService(role: RedisRole, service: 'ordering' | 'basket'): Promise<RedisClient> {
  const client = await connectRedis(withUser(servers[role].url, service, ''), { passwordFile: passwordFile(dataDir, service, role) });
  clients.push(client);
  return client;
}

/** AUTH on a new connection with this password: 'OK', or the error's first word. */
async function auth(role: RedisRole, user: string, password: string): Promise<string> {
  const client = await connectRedis(servers[role].url, { failFast: true });
  try {
    return String(await client.sendCommand(['AUTH', user, password]));
  } catch (error) {
    return (error as Error).message.split(' ')[0] as string;
  } finally {
    client.destroy();
  }
}

async function killConnections(user: string): Promise<void> {
  for (const role of roles) {
    const admin = await connectRedis(adminUrls[role], { failFast: true });
    await admin.sendCommand(['CLIENT', 'KILL', 'USER', user]);
    await admin.close();
  }
}

beforeAll(async () => {
  const creds = loadCredentials(dataDir, { redis: { bus: redisUsers('bus'), store: redisUsers('store') }, postgres: [] });
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  for (const role of roles) {
    servers[role] = await startPrivateRedis({ role, dataDir, logDir, cwd: dataDir, acl: { file: aclFile(role, creds.redis[role]), user: ADMIN_USER, password: creds.redis[role].admin } });
    for (const service of ['ordering', 'basket'] as const) writePasswordFile(dataDir, service, role, creds.redis[role].services[service] as string);
  }
  adminUrls = { bus: withUser(servers.bus.url, ADMIN_USER, creds.redis.bus.admin), store: withUser(servers.store.url, ADMIN_USER, creds.redis.store.admin) };
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await Promise.allSettled(roles.map((role) => servers[role]?.process.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('rotating a service key', () => {
  it('moves a working client onto the new password with no failed command; the old one is refused', async () => {
    const old = { bus: servicePassword('bus', 'ordering'), store: servicePassword('store', 'ordering') };
    const connections = { bus: await asService('bus', 'ordering'), store: await asService('store', 'ordering') };
    // Commands in a loop throughout, as a service under load sends them.
    let running = true;
    // Paused around the forced reconnects below: CLIENT KILL fails a command in flight, which is the test's doing, not the rotation's.
    let paused = false;
    let idle = true;
    let done = 0;
    const failures: string[] = [];
    const traffic = (async () => {
      while (running) {
        idle = paused;
        if (paused) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        for (const role of roles) {
          await connections[role].sendCommand(['INCR', 'ordering:counter']).then(
            () => done++,
            (error: unknown) => failures.push(`${role}: ${(error as Error).message}`),
          );
        }
        // A command that fails at once settles in a microtask: give timers and sockets their turn.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await waitFor(() => done > 20, { timeoutMs: 10_000, description: 'traffic flowing' });

    const result = await rotateServiceKey({ dataDir, urls: adminUrls, service: 'ordering' });
    expect(result).toEqual({ service: 'ordering', roles: ['bus', 'store'], resumed: false });
    const fresh = { bus: servicePassword('bus', 'ordering'), store: servicePassword('store', 'ordering') };
    for (const role of roles) {
      expect(fresh[role]).not.toBe(old[role]);
      expect(credentials().redis[role].services.ordering).toBe(fresh[role]);
      expect(credentials().redis[role].rotating?.ordering).toBeUndefined();
      // Connections made with the old password stay open until something ends them.
      expect(await connections[role].sendCommand(['PING'])).toBe('PONG');
    }

    // Forced reconnects: the clients come back through their password files, on the new password.
    paused = true;
    await waitFor(() => idle, { timeoutMs: 10_000, description: 'traffic paused' });
    await killConnections('ordering');
    paused = false;
    const before = done;
    await waitFor(() => done > before + 20, { timeoutMs: 20_000, description: 'traffic flowing again after CLIENT KILL' });
    for (const role of roles) {
      const admin = await connectRedis(adminUrls[role], { failFast: true });
      const list = String(await admin.sendCommand(['CLIENT', 'LIST']));
      await admin.close();
      expect(list).toMatch(/ user=ordering /);
      expect(await auth(role, 'ordering', old[role])).toBe('WRONGPASS');
      expect(await auth(role, 'ordering', fresh[role])).toBe('OK');
    }
    running = false;
    await traffic;
    expect(failures).toEqual([]);
  });

  it('keeps the new password over a restart of the server (ACL SAVE to its aclfile)', async () => {
    const password = servicePassword('bus', 'ordering');
    const acl = readFileSync(join(dataDir, 'redis', 'bus', 'users.acl'), 'utf8');
    expect(acl).toContain(passwordHash(password).slice(1));
    const restarts = servers.bus.process.restartCount;
    await servers.bus.process.signal('SIGKILL');
    await waitFor(() => servers.bus.process.restartCount > restarts, { timeoutMs: 20_000, description: 'bus redis restarted' });
    await servers.bus.waitReady(20_000);
    expect(await auth('bus', 'ordering', password)).toBe('OK');
  });

  for (const step of ['begun', 'added', 'switched', 'retired'] as const satisfies readonly RotationStep[]) {
    it(`cut short after "${step}": every password in use still opens the user, and running it again finishes it`, async () => {
      const old = { bus: servicePassword('bus', 'basket'), store: servicePassword('store', 'basket') };
      await rotateServiceKey({ dataDir, urls: adminUrls, service: 'basket', stopAfter: step });
      const state = credentials();
      for (const role of roles) {
        // What the service reads now, and what the launcher would give it and its servers at a restart, all work.
        expect(await auth(role, 'basket', servicePassword(role, 'basket'))).toBe('OK');
        expect(await auth(role, 'basket', state.redis[role].services.basket as string)).toBe('OK');
        expect(aclFile(role, state.redis[role])).toContain(passwordHash(servicePassword(role, 'basket')));
        expect(state.redis[role].rotating?.basket?.from).toBe(old[role]);
      }
      const finished = await rotateServiceKey({ dataDir, urls: adminUrls, service: 'basket' });
      expect(finished.resumed).toBe(true);
      for (const role of roles) {
        const now = servicePassword(role, 'basket');
        expect(now).toBe(state.redis[role].rotating?.basket?.to);
        expect(credentials().redis[role].rotating?.basket).toBeUndefined();
        expect(await auth(role, 'basket', now)).toBe('OK');
        expect(await auth(role, 'basket', old[role])).toBe('WRONGPASS');
      }
    });
  }

  it('says why when no system was started in the data directory or a server is away', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tributary-key-rotation-empty-'));
    try {
      await expect(rotateServiceKey({ dataDir: empty, urls: adminUrls, service: 'ordering' })).rejects.toThrow(/no per-service credentials/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const unchanged = readFileSync(join(dataDir, 'service-credentials.json'), 'utf8');
    const away = await rotateServiceKey({ dataDir, urls: { bus: 'redis://127.0.0.1:1', store: adminUrls.store }, service: 'ordering' }).catch((error: unknown) => error);
    expect(away).toBeInstanceOf(RotationError);
    expect((away as Error).message).toMatch(/cannot connect to the bus Redis .*is the system running/);
    // Begun and recorded (both servers would accept either password): the next run with the servers up finishes it.
    expect(readFileSync(join(dataDir, 'service-credentials.json'), 'utf8')).not.toBe(unchanged);
    expect(await auth('bus', 'ordering', servicePassword('bus', 'ordering'))).toBe('OK');
    expect((await rotateServiceKey({ dataDir, urls: adminUrls, service: 'ordering' })).resumed).toBe(true);
    expect(credentials().redis.bus.rotating?.ordering).toBeUndefined();
  });
});

describe('a client with a password file', () => {
  it('fails to start with the file named when it cannot be read', async () => {
    await expect(connectRedis(servers.bus.url, { passwordFile: join(dataDir, 'nowhere'), failFast: true })).rejects.toThrow(/cannot read the Redis password file .*nowhere/);
  });

  it('reconnects with the last password it read when the file is gone at a reconnection', async () => {
    const file = join(dataDir, 'basket-bus-copy');
    writeFileSync(file, `${servicePassword('bus', 'basket')}\n`);
    const client = await connectRedis(withUser(servers.bus.url, 'basket', ''), { passwordFile: file });
    clients.push(client);
    rmSync(file);
    await killConnections('basket');
    // Back, logged in with the password read before (no other basket client is open here).
    const admin = await connectRedis(adminUrls.bus, { failFast: true });
    clients.push(admin);
    await waitFor(async () => String(await admin.sendCommand(['CLIENT', 'LIST'])).includes(' user=basket '), { timeoutMs: 20_000, description: 'basket reconnected' });
    expect(await client.sendCommand(['SET', 'basket:after-kill', '1'])).toBe('OK');
  });
});
