import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import { openDatabase } from 'tributary/sql';
import { createServerDatabase, startRedisServer, type RedisServer } from 'tributary/testing';
import { ADMIN_USER, aclFile, redisUsers, STREAMS } from '../src/acl.ts';
import { CREDENTIALS_FILE, loadCredentials, withUser, type Credentials } from '../src/credentials.ts';
import { databaseRoleStatements, provisionDatabaseRoles, roleOf, serviceDatabaseUrl, SQL_SERVICES } from '../src/database-roles.ts';
import { startPrivateRedis, type PrivateRedis } from '../src/redis.ts';
import { provisionExternalRedis } from '../src/redis-users.ts';
import { SERVICES, type ServiceName } from '../src/services.ts';

/**
 * Least privilege as the launcher sets it up, checked against real servers:
 * its private redis-servers start with one ACL user per service and no open
 * default, each service's credentials reach its own keys, stream and schema
 * and are refused elsewhere.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'tributary-least-privilege-'));
const wanted = { redis: { bus: redisUsers('bus'), store: redisUsers('store') }, postgres: SQL_SERVICES };
const clients: RedisClient[] = [];
let credentials: Credentials;
let bus: PrivateRedis;
let store: PrivateRedis;

async function as(server: PrivateRedis, user: string, password: string): Promise<RedisClient> {
  const client = await connectRedis(withUser(server.url, user, password));
  clients.push(client);
  return client;
}
const busAs = (service: ServiceName) => as(bus, service, credentials.redis.bus.services[service] as string);
const storeAs = (service: ServiceName) => as(store, service, credentials.redis.store.services[service] as string);
const busAdmin = () => as(bus, ADMIN_USER, credentials.redis.bus.admin);

/** The reply, or the error's first word (NOPERM, NOAUTH, ERR). */
async function attempt(client: RedisClient, command: string[]): Promise<unknown> {
  try {
    return await client.sendCommand(command);
  } catch (error) {
    return (error as Error).message.split(' ')[0];
  }
}

beforeAll(async () => {
  credentials = loadCredentials(dataDir, wanted);
  const logDir = join(dataDir, 'logs');
  const start = (role: 'bus' | 'store') =>
    startPrivateRedis({ role, dataDir, logDir, cwd: dataDir, acl: { file: aclFile(role, credentials.redis[role]), user: ADMIN_USER, password: credentials.redis[role].admin } });
  mkdirSync(logDir, { recursive: true });
  bus = await start('bus');
  store = await start('store');
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await Promise.allSettled([bus?.process.stop(), store?.process.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the private Redis servers', () => {
  it('list one user per service and the launcher, and a default user that is off and that no password opens', async () => {
    const admin = await busAdmin();
    const list = await admin.sendCommand<string[]>(['ACL', 'LIST']);
    const names = list.map((line) => line.split(' ')[1]).sort();
    expect(names).toEqual([...SERVICES, ADMIN_USER, 'default'].sort());
    const defaultUser = list.find((line) => line.startsWith('user default '));
    expect(defaultUser).toMatch(/ off /);
    expect(defaultUser).not.toMatch(/nopass|#[0-9a-f]{64}/);
    const storeList = await (await as(store, ADMIN_USER, credentials.redis.store.admin)).sendCommand<string[]>(['ACL', 'LIST']);
    expect(storeList.map((line) => line.split(' ')[1]).sort()).toEqual([...SERVICES, ADMIN_USER, 'default'].sort());
    expect(storeList.find((line) => line.startsWith('user default '))).toMatch(/ off /);
  });

  it('refuse a client without credentials', async () => {
    const anonymous = await connectRedis(bus.url);
    clients.push(anonymous);
    expect(await attempt(anonymous, ['PING'])).toBe('NOAUTH');
    expect(await attempt(anonymous, ['AUTH', 'default', ''])).toMatch(/WRONGPASS|ERR/);
  });

  it('keep the passwords owner-only, and the same at the next start', () => {
    expect(statSync(join(dataDir, CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'redis', 'bus', 'users.acl')).mode & 0o777).toBe(0o600);
    expect(loadCredentials(dataDir, wanted)).toEqual(credentials);
  });
});

describe('a service on the bus', () => {
  it('adds to its own stream only', async () => {
    const accounts = await busAs('accounts');
    expect(await attempt(accounts, ['XADD', 'accounts:events', '*', 'type', 'Probe'])).toMatch(/^\d+-\d+$/);
    expect(await attempt(accounts, ['XADD', 'accounts:payments', '*', 'type', 'Probe'])).toMatch(/^\d+-\d+$/);
    expect(await attempt(accounts, ['XADD', 'ordering:events', '*', 'type', 'Forged'])).toBe('NOPERM');
    expect(await attempt(accounts, ['XADD', 'catalog:events', '*', 'type', 'Forged'])).toBe('NOPERM');
  });

  it('keeps the dead letters of its own streams ({<stream>}:dlq), and no other service\'s', async () => {
    const lending = await busAs('lending');
    expect(await attempt(lending, ['XADD', '{lending:requests}:dlq', '*', 'type', 'RequestSubmitted'])).toMatch(/^\d+-\d+$/);
    expect(await attempt(lending, ['XLEN', '{lending:requests}:dlq'])).toBe(1);
    expect(await attempt(lending, ['XADD', '{ordering:events}:dlq', '*', 'type', 'x'])).toBe('NOPERM');
  });

  it('reads and acks a stream it consumes through its group, dead-letters into it, and may not change it', async () => {
    const ordering = await busAs('ordering');
    const id = String(await ordering.sendCommand(['XADD', 'ordering:events', '*', 'type', 'OrderPlaced']));
    const accounts = await busAs('accounts');
    expect(await attempt(accounts, ['XGROUP', 'CREATE', 'ordering:events', 'accounts', '0', 'MKSTREAM'])).toBe('OK');
    const read = await attempt(accounts, ['XREADGROUP', 'GROUP', 'accounts', 'accounts-0', 'COUNT', '10', 'STREAMS', 'ordering:events', '>']);
    expect(JSON.stringify(read)).toContain(id);
    expect(await attempt(accounts, ['XACK', 'ordering:events', 'accounts', id])).toBe(1);
    expect(await attempt(accounts, ['XADD', '{ordering:events}:dlq', '*', 'type', 'OrderPlaced'])).toMatch(/^\d+-\d+$/);
    for (const command of [['XTRIM', 'ordering:events', 'MAXLEN', '0'], ['DEL', 'ordering:events'], ['XDEL', 'ordering:events', id], ['XGROUP', 'DESTROY', 'ordering:events', 'accounts'], ['SET', 'ordering:x', '1']]) {
      expect(await attempt(accounts, command), command.join(' ')).toBe('NOPERM');
    }
    // A stream it does not consume: no group, no dead letters.
    expect(await attempt(accounts, ['XGROUP', 'CREATE', 'catalog:events', 'accounts', '0', 'MKSTREAM'])).toBe('NOPERM');
    expect(await attempt(accounts, ['XADD', '{catalog:events}:dlq', '*', 'type', 'x'])).toBe('NOPERM');
  });

  it('lets ordering read accounts\' payment stream through its group and accounts trim it; a service that does not consume payments may not read them', async () => {
    const accounts = await busAs('accounts');
    const id = String(await accounts.sendCommand(['XADD', 'accounts:payments', '*', 'type', 'PaymentReserved']));
    const ordering = await busAs('ordering');
    expect(await attempt(ordering, ['XGROUP', 'CREATE', 'accounts:payments', 'ordering', '0'])).toBe('OK');
    expect(JSON.stringify(await attempt(ordering, ['XREADGROUP', 'GROUP', 'ordering', 'ordering-0', 'STREAMS', 'accounts:payments', '>']))).toContain(id);
    expect(await attempt(ordering, ['XACK', 'accounts:payments', 'ordering', id])).toBe(1);
    expect(await attempt(ordering, ['XADD', '{accounts:payments}:dlq', '*', 'type', 'PaymentReserved'])).toMatch(/^\d+-\d+$/);
    expect(await attempt(ordering, ['XTRIM', 'accounts:payments', 'MINID', '0'])).toBe('NOPERM');
    expect(await attempt(accounts, ['XTRIM', 'accounts:payments', 'MINID', id])).toEqual(expect.any(Number));
    const basket = await busAs('basket');
    expect(await attempt(basket, ['XRANGE', 'accounts:payments', '-', '+'])).toBe('NOPERM');
  });

  it('may not run server-wide commands, nor reach another key through a script', async () => {
    const basket = await busAs('basket');
    for (const command of [['FLUSHALL'], ['KEYS', '*'], ['CONFIG', 'GET', 'requirepass'], ['ACL', 'LIST'], ['SCRIPT', 'FLUSH'], ['CLIENT', 'KILL', 'TYPE', 'normal'], ['FUNCTION', 'FLUSH']]) {
      expect(await attempt(basket, command), command.join(' ')).toBe('NOPERM');
    }
    expect(await attempt(basket, ['EVAL', "return redis.call('SET', KEYS[1], '1')", '1', 'basket:probe'])).toBe('OK');
    expect(await attempt(basket, ['SCRIPT', 'LOAD', 'return 1'])).toMatch(/^[0-9a-f]{40}$/);
    expect(await attempt(basket, ['EVAL', "return redis.call('SET', 'catalog:x', '1')", '1', 'basket:probe'])).toBe('ERR');
  });

  it('lets the gateway read every stream and subscribe to positions, but not publish or write one outside replay', async () => {
    const gateway = await busAs('gateway');
    for (const stream of STREAMS) expect(await attempt(gateway, ['XREVRANGE', stream, '+', '-', 'COUNT', '1']), stream).toEqual(expect.any(Array));
    expect(await attempt(gateway, ['XINFO', 'GROUPS', 'ordering:events'])).toEqual(expect.any(Array));
    expect(await attempt(gateway, ['PUBLISH', 'delivery:positions', '{}'])).toBe('NOPERM');
    expect(await attempt(gateway, ['XTRIM', 'ordering:events', 'MAXLEN', '0'])).toBe('NOPERM');
    expect(await attempt(gateway, ['SET', 'ordering:x', '1'])).toBe('NOPERM');
    const subscriber = gateway.duplicate();
    subscriber.on('error', () => undefined);
    clients.push(subscriber);
    await subscriber.connect();
    await expect(subscriber.subscribe('delivery:positions', () => undefined)).resolves.toBeUndefined();
    const delivery = await busAs('delivery');
    expect(await attempt(delivery, ['PUBLISH', 'delivery:positions', '{}'])).toEqual(expect.any(Number));
  });
});

describe('a service on the store', () => {
  it('reaches its own key prefix only', async () => {
    const basket = await storeAs('basket');
    expect(await attempt(basket, ['SET', 'basket:probe', '1'])).toBe('OK');
    expect(await attempt(basket, ['SET', 'catalog:probe', '1'])).toBe('NOPERM');
    expect(await attempt(basket, ['GET', 'gateway:session:x'])).toBe('NOPERM');
    const stranger = await connectRedis(withUser(store.url, 'ordering', credentials.redis.bus.services.ordering as string)).catch((error: Error) => error.message);
    // Each server has its own passwords: a bus password does not open the store.
    expect(String(stranger)).toMatch(/WRONGPASS/);
  });
});

describe('a restarted private Redis', () => {
  it('comes back with the same users, and with what services wrote in transactions and scripts', async () => {
    // Redis prints a user's commands in no fixed order: compared as sets of rules.
    const users = (list: string[]) => list.map((line) => line.replace(/[()]/g, '').split(' ').sort().join(' ')).sort();
    const before = users(await (await busAdmin()).sendCommand<string[]>(['ACL', 'LIST']));
    // Two writes each, so the AOF holds them as MULTI/EXEC (Redis writes a lone command unwrapped);
    // redis-server replays those as the default user, which must not refuse them.
    const lending = await busAs('lending');
    await lending.sendCommand(['EVAL', "redis.call('SET', KEYS[1], 'scripted') redis.call('SET', KEYS[2], 'scripted') return 1", '2', 'lending:restart-probe:script', 'lending:restart-probe:script2']);
    await lending.multi().set('lending:restart-probe:multi', 'transacted').set('lending:restart-probe:multi2', 'transacted').exec();
    await bus.process.signal('SIGKILL');
    await bus.waitReady(30_000);
    const admin = await connectRedis(withUser(bus.url, ADMIN_USER, credentials.redis.bus.admin));
    clients.push(admin);
    expect(users(await admin.sendCommand<string[]>(['ACL', 'LIST']))).toEqual(before);
    expect(await admin.sendCommand(['MGET', 'lending:restart-probe:script', 'lending:restart-probe:script2', 'lending:restart-probe:multi', 'lending:restart-probe:multi2']))
      .toEqual(['scripted', 'scripted', 'transacted', 'transacted']);
    const accounts = await connectRedis(withUser(bus.url, 'accounts', credentials.redis.bus.services.accounts as string));
    clients.push(accounts);
    expect(await attempt(accounts, ['XADD', 'ordering:events', '*', 'type', 'Forged'])).toBe('NOPERM');
  });
});

describe('a Redis the launcher did not start', () => {
  let external: RedisServer;
  beforeAll(async () => {
    external = await startRedisServer();
  });
  afterAll(() => external?.stop());

  it('gets the same users through ACL SETUSER, and its own default user is left alone', async () => {
    const said: string[] = [];
    expect(await provisionExternalRedis('bus', external.url, credentials.redis.bus.services, (line) => said.push(line))).toBe(true);
    expect(said.join('\n')).toMatch(/one ACL user per service/);
    const admin = await connectRedis(external.url);
    clients.push(admin);
    const names = (await admin.sendCommand<string[]>(['ACL', 'LIST'])).map((line) => line.split(' ')[1]);
    expect(names.sort()).toEqual([...SERVICES, 'default'].sort());
    const accounts = await connectRedis(withUser(external.url, 'accounts', credentials.redis.bus.services.accounts as string));
    clients.push(accounts);
    expect(await attempt(accounts, ['XADD', 'ordering:events', '*', 'type', 'Forged'])).toBe('NOPERM');
  });

  it('is used as given, and said so, when it cannot be reached (the services then say why in their own logs)', async () => {
    const said: string[] = [];
    expect(await provisionExternalRedis('bus', 'redis://127.0.0.1:1', credentials.redis.bus.services, (line) => said.push(line))).toBe(false);
    expect(said.join('\n')).toMatch(/cannot connect to create the per-service ACL users/);
  });

  it('is used as given, and said so, when its connection may not manage users', async () => {
    const admin = await connectRedis(external.url);
    clients.push(admin);
    await admin.sendCommand(['ACL', 'SETUSER', 'limited', 'reset', 'on', '>limited-pw', '~*', '+@all', '-@admin', '-@dangerous']);
    const said: string[] = [];
    const url = withUser(external.url, 'limited', 'limited-pw');
    expect(await provisionExternalRedis('store', url, credentials.redis.store.services, (line) => said.push(line))).toBe(false);
    expect(said.join('\n')).toMatch(/cannot create the per-service ACL users .*NOPERM.*given URL unchanged/);
    expect(said.join('\n')).not.toContain('limited-pw');
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('PostgreSQL roles (TEST_DATABASE_URL)', () => {
  let server: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    server = await createServerDatabase(process.env.TEST_DATABASE_URL as string);
  });
  afterAll(() => server?.drop());

  it('give each SQL service a role that owns its schema, refused on another schema', async () => {
    // Data from a run before roles: a table the admin user made in ordering's schema.
    const before = await openDatabase(`${server.url}?schema=ordering`);
    await before.query('CREATE TABLE orders (id text PRIMARY KEY, total bigint GENERATED ALWAYS AS IDENTITY)');
    await before.query("INSERT INTO orders (id) VALUES ('o1')");
    await before.close();

    const said: string[] = [];
    expect(await provisionDatabaseRoles(server.url, credentials.postgres, (line) => said.push(line))).toBe(true);
    // Idempotent: the next start runs the same statements.
    expect(await provisionDatabaseRoles(server.url, credentials.postgres, (line) => said.push(line))).toBe(true);

    const ordering = await openDatabase(serviceDatabaseUrl(server.url, 'ordering', credentials.postgres.ordering as string));
    const accounts = await openDatabase(serviceDatabaseUrl(server.url, 'accounts', credentials.postgres.accounts as string));
    try {
      // The earlier table is now ordering's: it reads and writes it, sequence included.
      await ordering.query("INSERT INTO orders (id) VALUES ('o2')");
      expect((await ordering.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 2 }]);
      await accounts.query('CREATE TABLE balances (id text PRIMARY KEY)');
      await expect(accounts.query('SELECT * FROM ordering.orders')).rejects.toThrow(/permission denied for schema ordering/);
      await expect(accounts.query('CREATE SCHEMA elsewhere')).rejects.toThrow(/permission denied/);
      await expect(accounts.query('CREATE TABLE public.loose (id int)')).rejects.toThrow(/permission denied/);
      await expect(ordering.query('SELECT * FROM accounts.balances')).rejects.toThrow(/permission denied for schema accounts/);
      const owner = await ordering.query<{ owner: string }>("SELECT tableowner AS owner FROM pg_tables WHERE schemaname = 'ordering' AND tablename = 'orders'");
      expect(owner.rows).toEqual([{ owner: roleOf(new URL(server.url).pathname.slice(1), 'ordering') }]);
    } finally {
      await ordering.close();
      await accounts.close();
    }
  });

  it('passes the given URL through, and says so, when that user may not create roles', async () => {
    const database = new URL(server.url).pathname.slice(1);
    const admin = await openDatabase(server.url);
    // Named after the database: dropped with it (createServerDatabase).
    await admin.query(`CREATE ROLE ${database}_plain LOGIN PASSWORD 'plain-pw'`);
    // CONNECT is no longer PUBLIC's once the roles exist (the test above).
    await admin.query(`GRANT CONNECT ON DATABASE ${database} TO ${database}_plain`);
    await admin.close();
    const plain = new URL(server.url);
    plain.username = `${database}_plain`;
    plain.password = 'plain-pw';
    const said: string[] = [];
    expect(await provisionDatabaseRoles(plain.toString(), credentials.postgres, (line) => said.push(line))).toBe(false);
    expect(said.join('\n')).toMatch(/may not create roles; every service connects with the given URL/);
    expect(said.join('\n')).not.toContain('plain-pw');
  });

  it('prints what it runs, for an operator to run it themselves', () => {
    const statements = databaseRoleStatements(server.url, credentials.postgres).join(';\n');
    expect(statements).toContain(`CREATE SCHEMA IF NOT EXISTS delivery_history AUTHORIZATION ${roleOf(new URL(server.url).pathname.slice(1), 'delivery-history')}`);
  });
});
