import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Registry } from 'prom-client';
import { startAutovacuum, type Autovacuum, type MaintainedDatabase } from './autovacuum.ts';
import { dumpPglite } from './pglite-dump.ts';
import { pgliteStatements, type PgliteStatements } from './pglite-statements.ts';
import { seedFromTemplate } from './pglite-template.ts';
import pg from 'pg';
import { SpanKind, tracingEnabled, withSpan } from '../telemetry/tracing.ts';
import { TributaryError } from '../errors.ts';

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** What a handler or a store needs: run a statement. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>>;
}

/**
 * One interface over PGlite (embedded, the local default) and a PostgreSQL
 * server (`pg`), so stores are written once. Transactions retry on
 * serialization failures and deadlocks, the two errors PostgreSQL asks the
 * client to retry.
 */
export interface SqlDatabase extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * PGlite only: its whole data directory as a gzipped tarball, taken while
   * no statement runs (`tributary backup`; loaded back by `loadPgliteDump`).
   * A server's database is dumped by the server's own tools.
   */
  dump?(): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Reports the kit's autovacuum's rounds (autovacuum.ts) to this registry
   * (the service's /metrics): PGlite, and a server whose own autovacuum is
   * off; absent where the server runs its own.
   */
  meterInto?(registry: Registry): void;
}

const RETRYABLE_CODES = new Set(['40001', '40P01']);
const MAX_TRANSACTION_ATTEMPTS = 5;

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE_CODES.has(String((error as { code?: unknown }).code));
}

/**
 * Opens a database from a connection string:
 * - `postgres://…` or `postgresql://…`: a pooled server connection; an extra
 *   `schema=<name>` query parameter sets the search path (used by tests);
 * - `pglite:///absolute/dir` or `pglite://./relative/dir`: embedded PGlite kept on disk;
 * - `memory://`: embedded PGlite in memory.
 */
export async function openDatabase(url: string): Promise<SqlDatabase> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url);
  if (url === 'memory://' || url.startsWith('pglite://')) return openPglite(url);
  throw new TributaryError('TRIB_INVALID_CONFIG', `unsupported database URL scheme (expected postgres://, pglite:// or memory://)`);
}

/**
 * A client span per statement outside a transaction when tracing is on; the
 * text has placeholders, never values. Statements inside a transaction get
 * no span of their own: the transaction has one (a batch handler runs dozens
 * of statements, and a span each cost more than the statements).
 */
function traceQuery<T>(text: string, run: () => Promise<T>, traced: boolean): Promise<T> {
  if (!traced || !tracingEnabled()) return run();
  const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
  return withSpan(operation, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.query.text': text.slice(0, 500) } }, run);
}

/** One client span for a whole transaction, with its statement count. */
function traceTransaction<T>(run: (counted: () => void) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return run(() => undefined);
  let statements = 0;
  return withSpan('TRANSACTION', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, async (span) => {
    try {
      return await run(() => void statements++);
    } finally {
      span.setAttribute('db.tributary.statement_count', statements);
    }
  });
}

async function openPglite(url: string): Promise<SqlDatabase> {
  const dataDir = url === 'memory://' ? undefined : url.slice('pglite://'.length);
  // PGlite creates its own directory but not the parents (`.data/pg/` on a fresh clone).
  if (dataDir) {
    mkdirSync(dirname(dataDir), { recursive: true });
    await seedFromTemplate(dataDir);
  }
  // PGlite's WASM memory never shrinks: what Postgres touches once stays resident.
  // Its shared buffers are touched at start (128 MB by default); 8 MB holds a service's hot pages.
  // ANALYZE holds a sample of 300 × default_statistics_target rows: at the default 100 that is
  // 30 000 rows, 17 MB more per service once a table is that large; 10 (3 000 rows) is plenty
  // for plans that look rows up by key (docs/benchmarks.md, Memory).
  const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB', '-c', 'default_statistics_target=10'];
  const db = await PGlite.create(dataDir ? { dataDir, startParams } : { startParams });
  const statements = pgliteStatements(db);
  const autovacuum = startAutovacuum(
    { query: (text) => db.query(text), flushesStatsOnlyWhenAsked: true },
    { onError: (error) => process.emitWarning(`PGlite autovacuum: ${error.message}`) },
  );
  const executor = (run: PgliteStatements['query'], traced: boolean, counted?: () => void): SqlExecutor => ({
    query: <Row>(text: string, params: unknown[] = []) => {
      counted?.();
      return traceQuery(text, async () => {
        const result = await run<Row>(text, params);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      }, traced);
    },
  });
  return {
    kind: 'pglite',
    ...executor(statements.query, true),
    transaction: (work) => traceTransaction((counted) => statements.transaction((query) => work(executor(query, false, counted)))),
    async close() {
      await autovacuum.stop();
      await db.close();
    },
    dump: () => dumpPglite(db),
    meterInto: (registry) => autovacuum.meterInto(registry),
  };
}

/**
 * Statements with parameters run as named prepared statements on a server:
 * each connection parses and plans a text once (node-postgres remembers which
 * it prepared). The names are shared by every pool of the process; past
 * PREPARED_TEXTS distinct texts the rest run unnamed, so a connection never
 * holds more. Not for a pooler in transaction mode (PgBouncer), which moves
 * statements between server connections; the system connects directly.
 */
const PREPARED_TEXTS = 512;
const statementNames = new Map<string, string>();
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < PREPARED_TEXTS) {
    name = `tributary_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

async function openPostgres(url: string): Promise<SqlDatabase> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new TributaryError('TRIB_INVALID_CONFIG', 'invalid schema name in database URL');
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 8,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its server emits 'error'; the pool replaces it.
  pool.on('error', () => undefined);
  if (schema) {
    const admin = new pg.Client({ connectionString: parsed.toString() });
    await admin.connect();
    try {
      // Looked up first: a role that owns its schema but may not create schemas
      // (the launcher's per-service roles, docs/least-privilege.md) is refused
      // even CREATE SCHEMA IF NOT EXISTS of a schema that exists.
      const exists = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } catch (error) {
      // Two services racing to create the same schema: one wins, fine.
      if ((error as { code?: string }).code !== '23505') throw error;
    } finally {
      await admin.end();
    }
  }
  const autovacuum = await startAutovacuumUnlessServerRunsIt(pool);
  const executor = (target: pg.Pool | pg.PoolClient, traced: boolean, counted?: () => void): SqlExecutor => ({
    query: <Row>(text: string, params: unknown[] = []) => {
      counted?.();
      return traceQuery(text, async () => {
        const name = params.length > 0 ? statementName(text) : undefined;
        const result = await target.query(name ? { name, text, values: params } : { text, values: params });
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
      }, traced);
    },
  });
  return {
    kind: 'postgres',
    ...executor(pool, true),
    transaction: (work) =>
      traceTransaction(async (counted) => {
        for (let attempt = 1; ; attempt++) {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const result = await work(executor(client, false, counted));
            await client.query('COMMIT');
            return result;
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            if (!isRetryable(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
          } finally {
            client.release();
          }
        }
      }),
    async close() {
      await autovacuum?.stop();
      await pool.end();
    },
    ...(autovacuum ? { meterInto: (registry: Registry) => autovacuum.meterInto(registry) } : {}),
  };
}

/** The kit's autovacuum's statements on a server's pool (each outside a transaction, as VACUUM needs). */
export function serverMaintenance(pool: pg.Pool): MaintainedDatabase {
  return { query: async <Row>(text: string) => ({ rows: (await pool.query(text)).rows as Row[] }), flushesStatsOnlyWhenAsked: false };
}

/**
 * The kit's autovacuum (autovacuum.ts) for a server whose operator turned its
 * own off: nothing would ever analyze the service's tables, and statements
 * planned while they were empty would scan them whole for ever. Needs the
 * statistics `track_counts` gathers (on by default); without them there is
 * nothing to go by, and the service runs as it did.
 */
async function startAutovacuumUnlessServerRunsIt(pool: pg.Pool): Promise<Autovacuum | null> {
  const { rows } = await pool.query<{ autovacuum: string; track_counts: string }>(
    `SELECT current_setting('autovacuum') AS autovacuum, current_setting('track_counts') AS track_counts`,
  );
  const settings = rows[0];
  if (!settings || settings.autovacuum === 'on' || settings.track_counts !== 'on') return null;
  return startAutovacuum(
    serverMaintenance(pool),
    { onError: (error) => process.emitWarning(`autovacuum (the server's is off): ${error.message}`) },
  );
}
