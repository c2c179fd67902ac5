import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import '../formats.ts';
import type { SqlDatabase, SqlExecutor } from '../sql/database.ts';
import type { Envelope } from '../streams/envelope.ts';
import type { Publisher } from '../streams/publisher.ts';
import { backoffDelay } from '../streams/backoff.ts';

/**
 * Transactional outbox: a service whose truth is SQL writes its events into
 * `tributary_outbox` in the same transaction as the rows they describe. A
 * relay publishes them to the service's stream in order and deletes them.
 *
 * Exactly once in effect: a crash between XADD and DELETE re-publishes the
 * same envelope (same event id) and consumers deduplicate by that id. While
 * Redis is down the rows wait, and the relay keeps retrying with backoff: the
 * outbox is never "fire once and forget" (eShop's trap).
 */
const EnvelopeRow = Type.Object({
  id: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  version: Type.Integer({ minimum: 1 }),
  time: Type.String(),
  source: Type.String(),
  correlationId: Type.String(),
  causationId: Type.Union([Type.String(), Type.Null()]),
  traceparent: Type.String(),
  data: Type.Unknown(),
});
const checkEnvelope = TypeCompiler.Compile(EnvelopeRow);

// One relay at a time per database keeps the stream in outbox order.
const RELAY_LOCK_KEY = 7_302_466_815;

export interface OutboxOptions {
  db: SqlDatabase;
  publisher: Publisher;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Longest a batch may wait for the bus inside the relay's transaction. */
  publishTimeoutMs?: number;
  onError?: (error: Error) => void;
  onPublished?: (count: number) => void;
}

export interface Outbox {
  /** Creates the outbox table if it is missing. */
  install(): Promise<void>;
  /** Stores an envelope inside the caller's transaction. */
  add(tx: SqlExecutor, envelope: Envelope): Promise<void>;
  /** Publishes now instead of at the next poll (call after a commit). */
  nudge(): void;
  /** Publishes one batch; returns how many were published. */
  relayOnce(): Promise<number>;
  /** Rows waiting to be published. */
  backlog(): Promise<number>;
  start(): void;
  close(): Promise<void>;
}

export function createOutbox(options: OutboxOptions): Outbox {
  const { db, publisher } = options;
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  let running: Promise<void> | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  let nudged = false;

  // The relay publishes inside its transaction (the advisory lock keeps one
  // relay and the stream in outbox order). A transaction waiting on Redis
  // would hold a connection, and on PGlite, the only one: every request of the
  // service would queue behind it. So the relay does not start while the bus
  // is down (node-redis would park the XADD in its offline queue), and a batch
  // that hangs is abandoned after publishTimeoutMs. An abandoned XADD may still
  // land later; its rows stay and are published again under the same event
  // ids, which consumers deduplicate.
  async function publishBounded(envelopes: Envelope[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`outbox: the bus did not answer within ${publishTimeoutMs} ms`)), publishTimeoutMs);
    });
    try {
      await Promise.race([publisher.publishEnvelopes(envelopes), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function relayOnce(): Promise<number> {
    return db.transaction(async (tx) => {
      const lock = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [RELAY_LOCK_KEY]);
      if (!lock.rows[0]?.locked) return 0;
      const { rows } = await tx.query<{ position: string; envelope: unknown }>(
        'SELECT position, envelope FROM tributary_outbox ORDER BY position LIMIT $1',
        [batchSize],
      );
      if (rows.length === 0) return 0;
      if (!publisher.isConnected()) throw new Error('outbox: the bus Redis is not connected; rows wait');
      const envelopes = rows.map((row) => {
        if (!checkEnvelope.Check(row.envelope)) throw new Error(`outbox row ${row.position} holds an invalid envelope`);
        return row.envelope as Envelope;
      });
      await publishBounded(envelopes);
      await tx.query('DELETE FROM tributary_outbox WHERE position = ANY($1::bigint[])', [rows.map((row) => row.position)]);
      return rows.length;
    });
  }

  async function loop() {
    let failures = 0;
    while (!stopping) {
      try {
        const published = await relayOnce();
        failures = 0;
        if (published > 0) {
          options.onPublished?.(published);
          if (published === batchSize) continue;
        }
      } catch (error) {
        failures++;
        options.onError?.(error as Error);
      }
      if (stopping) break;
      const delay = failures > 0 ? backoffDelay(failures, pollIntervalMs, 5_000) : pollIntervalMs;
      if (nudged && failures === 0) {
        nudged = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  return {
    async install() {
      await db.query(`CREATE TABLE IF NOT EXISTS tributary_outbox (
        position bigserial PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    },
    async add(tx, envelope) {
      await tx.query('INSERT INTO tributary_outbox (event_id, envelope) VALUES ($1, $2)', [envelope.id, JSON.stringify(envelope)]);
    },
    nudge() {
      nudged = true;
      wake?.();
    },
    relayOnce,
    async backlog() {
      const { rows } = await db.query<{ count: string }>('SELECT count(*)::text AS count FROM tributary_outbox');
      return Number(rows[0]?.count ?? 0);
    },
    start() {
      if (!running) running = loop();
    },
    async close() {
      stopping = true;
      wake?.();
      await running;
    },
  };
}
