import { redactUrl } from 'tributary';
import { openDatabase } from 'tributary/sql';
import { SQL_SERVICES, type ServiceName } from './services.ts';

export { SQL_SERVICES };

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const PASSWORD = /^[A-Za-z0-9_-]+$/;

/** The schema a service uses on a shared server (as readServiceConfig names it). */
export function schemaOf(service: ServiceName): string {
  return service.replace(/-/g, '_');
}

/**
 * A service's role: named after the database too, since roles are shared by
 * every database of a server and two systems (two databases) must not share
 * or reset each other's. For the database `tributary`: `tributary_accounts`.
 */
export function roleOf(database: string, service: ServiceName): string {
  return `${database}_${schemaOf(service)}`.toLowerCase();
}

function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!IDENTIFIER.test(name)) throw new Error(`DATABASE_URL: the database name must be lower-case letters, digits and _ for per-service roles, got "${name}"`);
  return name;
}

/**
 * The statements that give every SQL service its own role owning its own
 * schema and nothing else, in the database of `url`. Idempotent: run at
 * every start (the passwords are set again, existing data handed over).
 * Printed by `tributary-acl sql` for an operator to run themselves.
 */
export function databaseRoleStatements(url: string, passwords: Partial<Record<ServiceName, string>>, options: { superuser: boolean } = { superuser: true }): string[] {
  const database = databaseOf(url);
  const statements = [
    // Nobody connects or makes schemas or temporary tables here unless granted.
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
    'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
  ];
  for (const service of SQL_SERVICES) {
    const password = passwords[service];
    if (!password || !PASSWORD.test(password)) throw new Error(`no usable PostgreSQL password for ${service}`);
    const role = roleOf(database, service);
    const schema = schemaOf(service);
    statements.push(
      `DO $$ BEGIN CREATE ROLE ${role}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
      `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '${password}'`,
      `GRANT CONNECT ON DATABASE ${database} TO ${role}`,
      // Without superuser, handing a schema to a role takes membership in it.
      ...(options.superuser ? [] : [`GRANT ${role} TO CURRENT_USER`]),
      `CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role}`,
      `ALTER SCHEMA ${schema} OWNER TO ${role}`,
      `REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`,
      // Tables, views, sequences and routines an earlier run made as the admin user.
      `DO $$ DECLARE item record; BEGIN
        FOR item IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = '${schema}' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relowner <> '${role}'::regrole
            AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
        LOOP
          EXECUTE format('ALTER %s %I.%I OWNER TO ${role}', CASE item.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, '${schema}', item.relname);
        END LOOP;
        FOR item IN SELECT p.oid::regprocedure AS routine FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = '${schema}' AND p.proowner <> '${role}'::regrole
        LOOP
          EXECUTE format('ALTER ROUTINE %s OWNER TO ${role}', item.routine);
        END LOOP;
      END $$`,
    );
  }
  return statements;
}

/** The URL a service connects with: its role, its schema. */
export function serviceDatabaseUrl(url: string, service: ServiceName, password: string): string {
  const parsed = new URL(url);
  parsed.username = roleOf(databaseOf(url), service);
  parsed.password = password;
  parsed.searchParams.set('schema', schemaOf(service));
  return parsed.toString();
}

/**
 * Runs databaseRoleStatements with the given URL. Returns false, having said
 * why, when that user may not create roles: every service then gets the
 * given URL (one schema each, but the same user).
 */
export async function provisionDatabaseRoles(url: string, passwords: Partial<Record<ServiceName, string>>, say: (line: string) => void): Promise<boolean> {
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    if (!/^postgres(ql)?:$/.test(new URL(url).protocol)) throw new Error('not a postgres:// URL');
    db = await openDatabase(url);
    // The pool connects at the first query: a refused login shows here.
    await db.query('SELECT 1').catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
  } catch (error) {
    // The services meet the same problem and say it in their own words (a bad URL is refused before any starts).
    say(`PostgreSQL ${redactUrl(url)}: cannot connect to create the per-service roles (${String(error instanceof Error ? error.message : error)}); every service gets the given URL`);
    return false;
  }
  try {
    const [me] = (await db.query<{ rolsuper: boolean; rolcreaterole: boolean }>('SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user')).rows;
    if (!me?.rolsuper && !me?.rolcreaterole) {
      say(`PostgreSQL ${redactUrl(url)}: this user may not create roles; every service connects with the given URL (one schema each). See docs/least-privilege.md to make the roles yourself.`);
      return false;
    }
    // One transaction: two launchers on one database do not interleave half-made roles.
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['tributary:database-roles']);
      for (const statement of databaseRoleStatements(url, passwords, { superuser: me.rolsuper })) await tx.query(statement);
    });
    say(`PostgreSQL ${redactUrl(url)}: one role per SQL service, each owning its schema only`);
    return true;
  } finally {
    await db.close();
  }
}
