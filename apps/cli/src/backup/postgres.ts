import { spawn } from 'node:child_process';
import { redactUrl } from 'tributary';
import { openDatabase, type SqlDatabase } from 'tributary/sql';
import { CliError } from '../errors.ts';
import { describe } from '../redis.ts';

/** One SQL service's schema on the server and the file its dump goes to (or comes from). */
export interface SchemaDump {
  service: string;
  schema: string;
  file: string;
}

const INSTALL = 'on Debian/Ubuntu `sudo apt-get install -y postgresql-client` (Debian\'s own version) or postgresql-client-<major> from the PostgreSQL apt repository (https://wiki.postgresql.org/wiki/Apt) for a newer server';

/** Runs a program to its end; stdout and stderr come back apart (stderr for an error message). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8_000)));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new CliError(`${command} is not installed (it comes with PostgreSQL's client tools): ${INSTALL}`) : error),
    );
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The major version of pg_dump or pg_restore ("pg_dump (PostgreSQL) 15.20 (Debian …)" → 15, "15.20"). */
export async function toolVersion(tool: 'pg_dump' | 'pg_restore'): Promise<{ major: number; version: string }> {
  const result = await run(tool, ['--version'], process.env);
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(result.stdout);
  if (result.code !== 0 || !match) throw new CliError(`${tool} --version did not answer a PostgreSQL version: ${(result.stdout + result.stderr).trim().slice(0, 200)}`);
  return { major: Number(match[1]), version: `${match[1]}${match[2] ? `.${match[2]}` : ''}` };
}

/**
 * What libpq (pg_dump, pg_restore) is given for `url`: the URL without its
 * password, which goes in PGPASSWORD (never on a command line, where `ps`
 * shows it), and without the kit's own `schema=` parameter, which libpq
 * refuses as an unknown option.
 */
export function libpqTarget(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.PGPASSWORD;
  if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
  parsed.password = '';
  parsed.searchParams.delete('schema');
  return { dbname: parsed.toString(), env };
}

function checkUrl(url: string, flag: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new CliError(`${flag}: not a URL`);
  }
  if (!/^postgres(ql)?:$/.test(protocol)) throw new CliError(`${flag}: expected a postgres:// URL, got ${protocol}//`);
}

async function connect(url: string): Promise<SqlDatabase> {
  let db: SqlDatabase | null = null;
  try {
    const parsed = new URL(url);
    parsed.searchParams.delete('schema');
    db = await openDatabase(parsed.toString());
    await db.query('SELECT 1');
    return db;
  } catch (error) {
    await db?.close().catch(() => undefined);
    throw new CliError(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${describe(error)}`);
  }
}

async function serverVersion(db: SqlDatabase): Promise<{ major: number; version: string }> {
  const [row] = (await db.query<{ num: string; version: string }>("SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version")).rows;
  return { major: Math.floor(Number(row?.num ?? 0) / 10_000), version: (row?.version ?? 'unknown').split(' ')[0] as string };
}

/**
 * Dumps every service's schema with pg_dump (custom format, one file each),
 * all of them from one snapshot: a transaction here exports its snapshot
 * (REPEATABLE READ, pg_export_snapshot) and every pg_dump reads through it
 * (--snapshot), so the files show the server at one moment, between
 * transactions, even while the services write. Answers the server's and
 * pg_dump's versions for the manifest.
 */
export async function dumpSchemas(url: string, dumps: SchemaDump[]): Promise<{ server: string; pgDump: string }> {
  checkUrl(url, '--database-url');
  const tool = await toolVersion('pg_dump');
  const db = await connect(url);
  try {
    const server = await serverVersion(db);
    // pg_dump refuses a newer server with a less helpful message, after connecting.
    if (server.major > tool.major) {
      throw new CliError(`pg_dump ${tool.version} cannot dump PostgreSQL ${server.version} (a pg_dump as new as the server is needed): install postgresql-client-${server.major}, ${INSTALL}`);
    }
    const present = new Set((await db.query<{ nspname: string }>('SELECT nspname FROM pg_namespace')).rows.map((row) => row.nspname));
    const missing = dumps.filter((dump) => !present.has(dump.schema)).map((dump) => dump.schema);
    if (missing.length > 0) {
      throw new CliError(`${redactUrl(url)} has no schema ${missing.join(', ')}: is it the database the system runs on (its DATABASE_URL)?`);
    }
    const { dbname, env } = libpqTarget(url);
    await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const [row] = (await tx.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot')).rows;
      const snapshot = row?.snapshot as string;
      await Promise.all(
        dumps.map(async (dump) => {
          const result = await run('pg_dump', ['--format=custom', `--schema=${dump.schema}`, `--snapshot=${snapshot}`, '--no-password', `--file=${dump.file}`, `--dbname=${dbname}`], env);
          if (result.code !== 0) throw new CliError(`pg_dump of ${dump.service} (schema ${dump.schema}) failed (exit ${result.code}): ${lastLines(result.stderr)}`);
        }),
      );
    });
    return { server: server.version, pgDump: tool.version };
  } finally {
    await db.close();
  }
}

const lastLines = (text: string) => text.trim().split('\n').slice(-3).join(' / ');

/**
 * Refuses, before anything is written anywhere, what restore cannot do
 * cleanly: no pg_restore, one older than the pg_dump that wrote the files
 * (it cannot read a newer archive), a server it cannot reach, or a schema
 * that already holds tables, views, sequences or routines (an empty one, as
 * a launcher makes at its start, is fine: it is dropped and restored).
 */
export async function checkRestoreTarget(url: string, schemas: string[], dumpedWith: string | undefined): Promise<void> {
  checkUrl(url, '--database-url');
  const tool = await toolVersion('pg_restore');
  const dumpMajor = Number((dumpedWith ?? '0').split('.')[0]);
  if (dumpMajor > tool.major) throw new CliError(`the dumps were written by pg_dump ${dumpedWith}, and pg_restore ${tool.version} cannot read them: install postgresql-client-${dumpMajor}, ${INSTALL}`);
  const db = await connect(url);
  try {
    const used = (
      await db.query<{ nspname: string; objects: string }>(
        `SELECT n.nspname, (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid) + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid) AS objects
           FROM pg_namespace n WHERE n.nspname = ANY($1::text[])`,
        [schemas],
      )
    ).rows.filter((row) => Number(row.objects) > 0);
    if (used.length > 0) {
      throw new CliError(
        `${redactUrl(url)} already holds data in schema ${used.map((row) => row.nspname).join(', ')}: restore into a new database (CREATE DATABASE …), or drop those schemas first`,
      );
    }
  } finally {
    await db.close();
  }
}

/**
 * Restores each schema with pg_restore, each in one transaction, as the
 * URL's user and without the dump's owners and grants: the launcher hands
 * each schema and what is in it to the service's role at its next start
 * (apps/launcher/src/database-roles.ts), whatever the database is named.
 * When one fails, the schemas restored before it are dropped again (they
 * were empty or absent: checkRestoreTarget), so the database is as it was.
 */
export async function restoreSchemas(url: string, dumps: SchemaDump[]): Promise<void> {
  const { dbname, env } = libpqTarget(url);
  const db = await connect(url);
  const restored: string[] = [];
  try {
    for (const dump of dumps) {
      // The empty schema a launcher may have made: the dump creates it again.
      await db.query(`DROP SCHEMA IF EXISTS ${dump.schema}`);
      const result = await run('pg_restore', ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '--no-password', `--dbname=${dbname}`, dump.file], env);
      if (result.code !== 0) throw new CliError(`pg_restore of ${dump.service} (schema ${dump.schema}) into ${redactUrl(url)} failed (exit ${result.code}): ${lastLines(result.stderr)}`);
      restored.push(dump.schema);
    }
  } catch (error) {
    for (const schema of restored) await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    throw error instanceof CliError ? error : new CliError(`restoring into ${redactUrl(url)} failed: ${describe(error)}`);
  } finally {
    await db.close();
  }
}
