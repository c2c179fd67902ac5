import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type SqlDatabase } from '../sql/database.ts';

export interface TestDatabase {
  readonly kind: 'pglite' | 'postgres';
  /** A connection string for another process (PGlite: a fresh directory). */
  readonly url: string;
  open(): Promise<SqlDatabase>;
  /** Drops what this test created. */
  drop(): Promise<void>;
}

/**
 * The databases every SQL test runs against: PGlite always, and the real
 * PostgreSQL server named by TEST_DATABASE_URL when it is set. Each call makes
 * a fresh, private database (a PGlite directory, or a schema on the server).
 */
export function testDatabases(): Array<{ kind: 'pglite' | 'postgres'; create: () => Promise<TestDatabase> }> {
  const list: Array<{ kind: 'pglite' | 'postgres'; create: () => Promise<TestDatabase> }> = [
    { kind: 'pglite', create: createPgliteDatabase },
  ];
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) list.push({ kind: 'postgres', create: () => createSchemaDatabase(serverUrl) });
  return list;
}

async function createPgliteDatabase(): Promise<TestDatabase> {
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
