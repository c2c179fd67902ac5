import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type SqlDatabase, type SqlExecutor } from '../sql/database.ts';
import { isProcessAlive } from '../process-alive.ts';
import { createSerialQueue } from '../serial.ts';

export interface TestDatabase {
  readonly kind: 'pglite' | 'postgres';
  /**
   * A connection string for another process: a schema on the server, or a
   * PGlite directory of its own when asked for with `onDisk`. Reading it of
   * a PGlite shared in-process throws.
   */
  readonly url: string;
  open(): Promise<SqlDatabase>;
  /** Drops what this test created. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** PGlite in a directory of its own, for a test that gives `url` to another process (slower: a boot per test). */
  onDisk?: boolean;
}

type TestDatabaseKind = { kind: 'pglite' | 'postgres'; create: () => Promise<TestDatabase> };

/**
 * The databases every SQL test runs against: PGlite always, and the real
 * PostgreSQL server named by TEST_DATABASE_URL when it is set. Each call of
 * `create` makes a fresh, private database: a schema on the server, and a
 * schema of the file's one in-process PGlite (or a directory with `onDisk`).
 */
export function testDatabases(options: TestDatabaseOptions = {}): TestDatabaseKind[] {
  const list: TestDatabaseKind[] = [{ kind: 'pglite', create: options.onDisk ? createPgliteDirectory : createPgliteSchema }];
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) list.push({ kind: 'postgres', create: () => createSchemaDatabase(serverUrl) });
  return list;
}

async function createPgliteDirectory(): Promise<TestDatabase> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'tributary-pglite-'));
  return {
    kind: 'pglite',
    url: `pglite://${dir}`,
    open: () => openDatabase(`pglite://${dir}`),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * One PGlite for the whole test file (Vitest runs each file in a process of
 * its own), a schema per test: booting a PGlite costs about 1.5 s of CPU,
 * making a schema a millisecond, and the SQL tests make hundreds.
 *
 * PGlite is one connection with one search path, so every statement and
 * transaction of every schema's view goes through one queue that sets the
 * path when the schema changes. PGlite itself runs one statement or
 * transaction at a time, so the queue costs no concurrency.
 */
interface SharedPglite {
  db: SqlDatabase;
  queue: <T>(work: () => Promise<T>) => Promise<T>;
  searchPath: string | null;
}

let sharedPglite: Promise<SharedPglite> | null = null;

function sharedInstance(): Promise<SharedPglite> {
  sharedPglite ??= (async () => {
    // A directory seeded from the template, not `memory://`, which runs initdb (seconds).
    const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    // Vitest ends a file's process without running its exit handlers: each directory is named after its
    // process, and the directories of processes that are gone are removed here, by the next file.
    for (const name of readdirSync(tmpdir())) {
      const owner = /^tributary-pglite-shared-(\d+)-/.exec(name)?.[1];
      if (owner !== undefined && !isProcessAlive(Number(owner))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
    const dir = mkdtempSync(join(tmpdir(), `tributary-pglite-shared-${process.pid}-`));
    const db = await openDatabase(`pglite://${dir}`);
    return { db, queue: createSerialQueue(), searchPath: null };
  })();
  return sharedPglite;
}

async function createPgliteSchema(): Promise<TestDatabase> {
  const shared = await sharedInstance();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await shared.queue(() => shared.db.query(`CREATE SCHEMA ${schema}`));
  const inSchema = <T>(work: () => Promise<T>): Promise<T> =>
    shared.queue(async () => {
      if (shared.searchPath !== schema) {
        await shared.db.query(`SET search_path TO ${schema}`);
        shared.searchPath = schema;
      }
      return work();
    });
  const view: SqlDatabase = {
    kind: 'pglite',
    query: <Row>(text: string, params?: unknown[]) => inSchema(() => shared.db.query<Row>(text, params)),
    transaction: <T>(work: (tx: SqlExecutor) => Promise<T>) => inSchema(() => shared.db.transaction(work)),
    // The instance outlives the test; its schema goes with drop().
    close: async () => undefined,
  };
  return {
    kind: 'pglite',
    get url(): string {
      throw new Error('this PGlite is shared in-process: ask testDatabases({ onDisk: true }) for a database another process can open');
    },
    open: async () => view,
    drop: () =>
      shared.queue(async () => {
        await shared.db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        if (shared.searchPath === schema) shared.searchPath = null;
      }),
  };
}

async function createSchemaDatabase(serverUrl: string): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = await openDatabase(serverUrl);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const url = new URL(serverUrl);
  url.searchParams.set('schema', schema);
  return {
    kind: 'postgres',
    url: url.toString(),
    open: () => openDatabase(url.toString()),
    drop: async () => {
      const cleanup = await openDatabase(serverUrl);
      await cleanup.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await cleanup.close();
    },
  };
}

/**
 * A fresh database of its own on a PostgreSQL server (for a whole system:
 * every service makes its schema in it), dropped with its connections.
 */
export async function createServerDatabase(serverUrl: string, prefix = 'tributary'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const run = async (statement: string) => {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      return (await admin.query<Record<string, unknown>>(statement)).rows;
    } finally {
      await admin.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      // The launcher's per-service roles are named after the database (`<database>_<service>`): roles outlive databases.
      for (const row of await run(`SELECT rolname FROM pg_roles WHERE rolname LIKE '${name}\\_%'`)) await run(`DROP ROLE IF EXISTS "${String(row.rolname)}"`);
    },
  };
}
