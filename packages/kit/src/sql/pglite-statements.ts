import { parse, protocol, TransactionAbortedError, type PGlite } from '@electric-sql/pglite';
import { createSerialQueue } from '../serial.ts';

/**
 * Statements on PGlite as prepared statements, each execution one call into
 * its WebAssembly Postgres.
 *
 * Why our own: PGlite's `query` parses and plans the text every time and
 * makes six calls into the WASM backend per statement (Parse, Describe,
 * Bind, Describe, Execute, Sync), and its `transaction` two more each for
 * BEGIN and COMMIT. In the whole system's profiles PGlite was two thirds of
 * every SQL service's CPU. Here a statement is parsed once per text (a named
 * statement, its parameter types kept), and each execution sends Bind,
 * Describe, Execute and Sync in one buffer; BEGIN and COMMIT are one simple
 * query each. Half the CPU per transaction in `bench/src/pglite.ts`
 * (docs/benchmarks.md). Only PGlite's public protocol API is used: its
 * serializers and result parsers, so values come back as from `query`.
 *
 * Both of PGlite's locks are taken as its own `query` and `transaction` take
 * them, so its other users (a dump, say) wait for ours and we for theirs.
 */

export interface PgliteResult<Row> {
  rows: Row[];
  /** As PGlite's `query` gives it: rows changed by INSERT, UPDATE or DELETE. */
  affectedRows?: number;
}

export interface PgliteStatements {
  /** One statement on its own (autocommit). */
  query<Row>(text: string, params?: readonly unknown[]): Promise<PgliteResult<Row>>;
  /** BEGIN, the work's statements, COMMIT; ROLLBACK when the work throws. */
  transaction<T>(work: (query: <Row>(text: string, params?: readonly unknown[]) => Promise<PgliteResult<Row>>) => Promise<T>): Promise<T>;
  /** How many texts are prepared now (tests). */
  readonly prepared: number;
}

interface Prepared {
  name: string;
  parameterTypes: number[];
}

/** Statements kept prepared per database; the least recently used one is closed past this. */
const DEFAULT_CAPACITY = 256;
/** SQLSTATE of "cached plan must not change result type": a table under a prepared SELECT changed shape. */
const FEATURE_NOT_SUPPORTED = '0A000';

const { serialize } = protocol;
// Names are per database session, and tests open several of these on one database: numbered across all of them.
let statementCounter = 0;
const BEGIN = serialize.query('BEGIN');
const COMMIT = serialize.query('COMMIT');
const ROLLBACK = serialize.query('ROLLBACK');
const SYNC = serialize.sync();
const DESCRIBE_PORTAL = serialize.describe({ type: 'P' });
const EXECUTE = serialize.execute({});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const buffer = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    buffer.set(part, offset);
    offset += part.length;
  }
  return buffer;
}

export function pgliteStatements(db: PGlite, { capacity = DEFAULT_CAPACITY } = {}): PgliteStatements {
  // Insertion order is use order: a hit is moved to the end, the first is the least recently used.
  const statements = new Map<string, Prepared>();
  // Closes of evicted statements, sent ahead of the next execution's messages.
  let pendingCloses: Uint8Array[] = [];

  const exec = (message: Uint8Array) => db.execProtocol(message, { syncToFs: false });

  async function prepare(text: string): Promise<Prepared> {
    const known = statements.get(text);
    if (known) {
      statements.delete(text);
      statements.set(text, known);
      return known;
    }
    const name = `tributary_${++statementCounter}`;
    const closes = pendingCloses;
    pendingCloses = [];
    const { messages } = await exec(concat([...closes, serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), SYNC]));
    const prepared = { name, parameterTypes: parse.parseDescribeStatementResults(messages) };
    statements.set(text, prepared);
    if (statements.size > capacity) {
      const [oldestText, oldest] = statements.entries().next().value as [string, Prepared];
      statements.delete(oldestText);
      pendingCloses.push(serialize.close({ type: 'S', name: oldest.name }));
    }
    return prepared;
  }

  function serializeParameter(value: unknown, type: number | undefined): string | null {
    if (value === null || value === undefined) return null;
    const serializer = type === undefined ? undefined : db.serializers[type];
    return serializer ? serializer(value) : String(value);
  }

  async function run<Row>(text: string, params: readonly unknown[] = []): Promise<PgliteResult<Row>> {
    const prepared = await prepare(text);
    const values = params.map((value, index) => serializeParameter(value, prepared.parameterTypes[index]));
    const closes = pendingCloses;
    pendingCloses = [];
    try {
      const { messages } = await exec(concat([...closes, serialize.bind({ statement: prepared.name, values }), DESCRIBE_PORTAL, EXECUTE, SYNC]));
      const [result] = parse.parseResults(messages, db.parsers);
      return { rows: (result?.rows ?? []) as Row[], ...(result?.affectedRows === undefined ? {} : { affectedRows: result.affectedRows }) };
    } catch (error) {
      // Prepared before a table changed shape: prepared again on the next call.
      if ((error as { code?: unknown }).code === FEATURE_NOT_SUPPORTED && statements.get(text) === prepared) {
        statements.delete(text);
        pendingCloses.push(serialize.close({ type: 'S', name: prepared.name }));
      }
      throw error;
    }
  }

  /** PGlite's two locks, as its own `query` takes them: no other transaction, then no other statement. */
  const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
    await db._checkReady();
    return db._runExclusiveTransaction(() => db.runExclusive(work));
  };

  return {
    async query<Row>(text: string, params?: readonly unknown[]) {
      return exclusive(async () => {
        const result = await run<Row>(text, params);
        await db.syncToFs();
        return result;
      });
    },
    async transaction(work) {
      return exclusive(async () => {
        await exec(BEGIN);
        // A work that starts statements together gets them one after another, as PGlite's own transaction does.
        const inOrder = createSerialQueue();
        let result;
        try {
          result = await work(<Row>(text: string, params?: readonly unknown[]) => inOrder(() => run<Row>(text, params)));
        } catch (error) {
          await exec(ROLLBACK);
          throw error;
        }
        const { messages } = await exec(COMMIT);
        const [outcome] = parse.parseResults(messages, db.parsers);
        // COMMIT of a transaction a statement aborted answers ROLLBACK (the work swallowed the error).
        if (outcome?.command === 'ROLLBACK') throw new TransactionAbortedError();
        await db.syncToFs();
        return result;
      });
    },
    get prepared() {
      return statements.size;
    },
  };
}
