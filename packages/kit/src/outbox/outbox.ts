import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import '../formats.ts';
import type { SqlDatabase, SqlExecutor } from '../sql/database.ts';
import type { Envelope } from '../streams/envelope.ts';
import type { EventDefinition } from '../streams/events.ts';
import type { Publisher } from '../streams/publisher.ts';
import { backoffDelay } from '../streams/backoff.ts';
import type { Registry } from 'prom-client';
import { periodicJob } from '../telemetry/periodic.ts';
import { createSerialQueue } from '../serial.ts';
import { TributaryError } from '../errors.ts';

/**
 * Transactional outbox: a service whose truth is SQL writes its events into
 * `tributary_outbox` in the same transaction as the rows they describe.
 *
 * Hot path: `transaction()` inserts a commit's envelopes in one statement
 * (which also asks whether an older row of another commit is still waiting)
 * and, right after COMMIT, publishes them in one pipeline; it returns then,
 * and the published rows are deleted in one statement behind it (the
 * deletes of several commits share one while one is running). No polling
 * transaction per publication, and no round trip after the publish on the
 * caller's path. The polling relay is the safety net: rows left by a crash
 * between COMMIT and publish, or by a bus outage, are published by it in
 * position order.
 *
 * A service that owns several streams (accounts: users on `accounts:events`,
 * payments on `accounts:payments`) gives one publisher per stream
 * (`routes`): each row stores its stream when it is written, and rows go out
 * in position order, so each stream keeps commit order.
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

// One relay at a time per outbox keeps the stream in outbox order. The lock
// is (this class, the schema's hash): services sharing one database, one
// schema each (DATABASE_URL), each have their own relay, not one among them.
const RELAY_LOCK_CLASS = 730_246_681;

/** Events that go to another stream of the service than the outbox's publisher writes. */
export interface OutboxRoute {
  /** Writes that stream (`createPublisher({ stream })`). */
  publisher: Publisher;
  /** Every event type published there; each must be defined on the publisher's stream. */
  events: readonly EventDefinition[];
}

export interface OutboxOptions {
  db: SqlDatabase;
  /** Writes the service's main stream: every event no route names, and rows written before rows named their stream. */
  publisher: Publisher;
  routes?: readonly OutboxRoute[];
  batchSize?: number;
  /**
   * Between relay rounds while there may be work (default 250 ms). Rounds
   * that find nothing back off, doubling, to relayMinAgeMs: see loop().
   */
  pollIntervalMs?: number;
  /** Longest a batch may wait for the bus inside the relay's transaction. */
  publishTimeoutMs?: number;
  /**
   * Rows younger than this are left to the fast path of whichever process
   * wrote them (another instance may be publishing them right now); older
   * ones are crash leftovers the relay publishes. Not applied while this
   * process knows of a backlog (start-up, bus outage) or after nudge().
   */
  relayMinAgeMs?: number;
  onError?: (error: Error) => void;
  onPublished?: (count: number) => void;
}

/** An outbox row written in a transaction that has not committed yet or is about to be published. */
export interface OutboxRow {
  position: string;
  /** The stream it goes to, decided when it was written. */
  stream: string;
  envelope: Envelope;
  /**
   * Whether, when the row was inserted, another commit's row with a lower
   * position was still waiting (addMany asks in the same statement). Absent:
   * not known, publishCommitted asks after the commit.
   */
  olderWaiting?: boolean;
}

/** Collects a transaction's outgoing events; they are inserted in one statement before COMMIT. */
export type Emit = (envelopes: Envelope | readonly Envelope[]) => void;

export interface TransactionOptions {
  /**
   * Whether the transaction's promise waits for the publication (default
   * true). Publication never fails the caller either way: rows it could not
   * publish stay for the relay. Publications keep their order whether waited
   * for or not (one chain per outbox).
   */
  waitForPublish?: boolean;
}

export interface Outbox {
  /** Creates the outbox table if it is missing (on `executor`, e.g. inside `installTables`; default the database). */
  install(executor?: SqlExecutor): Promise<void>;
  /** Stores an envelope inside the caller's transaction; the relay's next round publishes it (call nudge() after the commit to run it now). */
  add(tx: SqlExecutor, envelope: Envelope): Promise<void>;
  /** Stores envelopes in one statement inside the caller's transaction; hand the rows to publishCommitted() after COMMIT. */
  addMany(tx: SqlExecutor, envelopes: readonly Envelope[]): Promise<OutboxRow[]>;
  /**
   * Runs `work` in a transaction; what it emits is inserted in one statement
   * at its end and, once committed, published at once (publishCommitted).
   * Resolves once the publication has its reply, or, with
   * `waitForPublish: false`, once the COMMIT has (a consumer's handler: its
   * XACK and next read then leave with the XADDs instead of after them).
   */
  transaction<T>(work: (tx: SqlExecutor, emit: Emit) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Publishes committed rows in one pipeline; resolves then, and deletes them
   * in one statement behind it. Never throws: if the bus is down the rows stay
   * for the relay.
   */
  publishCommitted(rows: readonly OutboxRow[]): Promise<void>;
  /** Publishes rows added with add() now instead of at the next poll (call after a commit). */
  nudge(): void;
  /** Publishes one batch; returns how many were published. */
  relayOnce(): Promise<number>;
  /** Rows waiting to be published. */
  backlog(): Promise<number>;
  start(): void;
  /** Reports the relay's rounds to this registry (the service's /metrics). */
  meterInto(registry: Registry): void;
  close(): Promise<void>;
}

/**
 * How long the relay sleeps after a round that did not fail. Idle costs
 * nothing: on PGlite a round (a transaction, a lock, a select) is a few
 * milliseconds of WebAssembly, four times a second per service with nothing
 * to do. What the relay is for when nothing woke it, another process's crash
 * leftovers, it may not take before relayMinAgeMs anyway, so rounds that
 * found nothing back off, doubling, to that; rows it knows are waiting
 * (deferred behind another process's, or a backlog) keep the short interval.
 */
export function relayPause(state: { emptyRounds: number; waitingRows: boolean; pollIntervalMs: number; relayMinAgeMs: number }): number {
  const { emptyRounds, waitingRows, pollIntervalMs, relayMinAgeMs } = state;
  if (waitingRows) return pollIntervalMs;
  return Math.max(pollIntervalMs, Math.min(pollIntervalMs * 2 ** Math.min(emptyRounds, 10), relayMinAgeMs));
}

export function createOutbox(options: OutboxOptions): Outbox {
  const { db, publisher } = options;
  const routing = outboxRouting(publisher, options.routes ?? []);
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const relayMinAgeMs = options.relayMinAgeMs ?? 2_000;
  let running: Promise<void> | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  // nudged: the next relay round takes every row (rows added with add()); woken: it starts without waiting.
  let nudged = false;
  let woken = false;
  // Consecutive failed relay rounds; while above zero a nudge does not cut the backoff short.
  let failures = 0;

  // The relay publishes inside its transaction (the advisory lock keeps one
  // relay and the stream in outbox order). A transaction waiting on Redis
  // would hold a connection, and on PGlite, the only one: every request of the
  // service would queue behind it. So the relay does not start while the bus
  // is down (node-redis would park the XADD in its offline queue), and a batch
  // that hangs is abandoned after publishTimeoutMs. An abandoned XADD may still
  // land later; its rows stay and are published again under the same event
  // ids, which consumers deduplicate.
  async function publishBounded(rows: readonly { stream: string; envelope: Envelope }[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`outbox: the bus did not answer within ${publishTimeoutMs} ms`)), publishTimeoutMs);
    });
    try {
      await Promise.race([routing.publish(rows), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // Every publication of this process (fast path and relay) runs through one
  // chain, so this process's rows reach the stream in commit order, and a
  // commit's rows in position order.
  const serially = createSerialQueue();
  // Rows this process committed and is about to publish itself: the relay leaves them alone.
  const inFlight = new Set<string>();
  // Rows this process published whose DELETE has not run yet: not waiting any more, so neither the
  // relay nor any probe of this process counts them; a crash before the DELETE publishes them again
  // (same event ids, which consumers deduplicate).
  const deleting = new Set<string>();
  let deletes: Promise<void> | null = null;
  let waiting: OutboxRow[] = [];
  // True until the relay has drained what an earlier run left, and again after
  // the fast path failed: then fast-path rows go to the relay, behind the
  // older ones, so the stream stays in order.
  let backlogSuspected = true;

  function reportError(error: unknown) {
    options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  // Rows this process left to the relay because another process's older row
  // was still waiting: the relay takes them without waiting for their age.
  const deferred = new Set<string>();

  async function flushWaiting(): Promise<void> {
    const rows = waiting.sort((a, b) => comparePositions(a.position, b.position));
    waiting = [];
    if (rows.length === 0) return;
    try {
      if (backlogSuspected || !routing.isConnected()) {
        backlogSuspected = true;
        for (const row of rows) deferred.add(row.position);
        return;
      }
      // A row of another commit still in the table below ours (another
      // instance's being published, or a leftover) goes first: ours then wait
      // for the relay, which keeps position order. For one aggregate,
      // position order is commit order (its lock is held from the insert to
      // the commit). Rows of ours the relay was left go first too.
      if (deferred.size > 0 || (await olderRowWaiting(rows))) {
        for (const row of rows) deferred.add(row.position);
        wakeRelay(false);
        return;
      }
      await publishBounded(rows);
      for (const row of rows) deleting.add(row.position);
      deletePublished();
      options.onPublished?.(rows.length);
    } catch (error) {
      backlogSuspected = true;
      reportError(error);
    } finally {
      for (const row of rows) inFlight.delete(row.position);
      if (backlogSuspected) wakeRelay(false);
    }
  }

  // addMany asked in its INSERT (before COMMIT: a commit that must go first,
  // holding a lock we waited for, had committed by then). Rows handed in
  // without the answer are asked about now.
  async function olderRowWaiting(rows: readonly OutboxRow[]): Promise<boolean> {
    if (rows.every((row) => row.olderWaiting !== undefined)) return rows.some((row) => row.olderWaiting);
    const positions = rows.map((row) => row.position);
    const older = await db.query<{ older: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM tributary_outbox WHERE position < $1::bigint AND NOT (position = ANY($2::bigint[]))) AS older',
      [positions[positions.length - 1], [...positions, ...deleting]],
    );
    return older.rows[0]?.older === true;
  }

  // One DELETE at a time; rows published meanwhile go in the next one. A
  // failed DELETE leaves its rows to the relay, which publishes them again
  // once they are relayMinAgeMs old (duplicates by event id, deduplicated).
  function deletePublished(): void {
    if (deletes) return;
    deletes = (async () => {
      while (deleting.size > 0) {
        const positions = [...deleting];
        try {
          await db.query('DELETE FROM tributary_outbox WHERE position = ANY($1::bigint[])', [positions]);
        } catch (error) {
          reportError(error);
        } finally {
          for (const position of positions) deleting.delete(position);
        }
      }
      deletes = null;
    })();
  }

  function lowestInFlight(): string | null {
    let lowest: string | null = null;
    for (const set of [inFlight, deleting]) {
      for (const position of set) if (lowest === null || comparePositions(position, lowest) < 0) lowest = position;
    }
    return lowest;
  }

  async function relayOnce(): Promise<number> {
    return serially(() =>
      db.transaction(async (tx) => {
        const lock = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::int4, hashtext(current_schema())) AS locked', [RELAY_LOCK_CLASS]);
        if (!lock.rows[0]?.locked) return 0;
        const takeAll = nudged;
        nudged = false;
        // In position order, up to the first row the relay must not take yet:
        // one a live process is publishing itself (ours in flight, or another's
        // younger than relayMinAgeMs). Skipping it would publish out of order.
        // Taken: old rows (crash leftovers), ours left to the relay, or all after nudge().
        const bound = lowestInFlight();
        const { rows } = await tx.query<{ position: string; stream: string | null; envelope: unknown; takeable: boolean }>(
          `SELECT position::text AS position, stream, envelope,
                  ($3::boolean OR created_at < now() - make_interval(secs => $4::double precision) OR position = ANY($5::bigint[])) AS takeable
           FROM tributary_outbox WHERE ($2::bigint IS NULL OR tributary_outbox.position < $2::bigint)
           ORDER BY tributary_outbox.position LIMIT $1`,
          [batchSize, bound, takeAll, relayMinAgeMs / 1000, [...deferred]],
        );
        // A round that saw every row below the bound knows which of ours it
        // was left are gone (another instance's relay took them once they
        // were old): forgotten, or this process's fast path would wait for
        // them forever.
        if (rows.length < batchSize) {
          const present = new Set(rows.map((row) => row.position));
          for (const position of deferred) {
            if (!present.has(position) && (bound === null || comparePositions(position, bound) < 0)) deferred.delete(position);
          }
        }
        const stop = rows.findIndex((row) => !row.takeable);
        const taken = stop < 0 ? rows : rows.slice(0, stop);
        // Nothing of ours or of a dead process is left below a live process's rows: the fast path may resume.
        const drained = rows.length < batchSize || stop >= 0;
        if (taken.length === 0) {
          if (drained) backlogSuspected = false;
          return 0;
        }
        if (!routing.isConnected()) throw new TributaryError('TRIB_NOT_CONNECTED', 'outbox: the bus Redis is not connected; rows wait');
        const outgoing = taken.map((row) => {
          if (!checkEnvelope.Check(row.envelope)) throw new TributaryError('TRIB_CORRUPT_DATA', `outbox row ${row.position} holds an invalid envelope`);
          // No stream: written before rows named theirs, when everything went to the main stream.
          return { stream: row.stream ?? publisher.stream, envelope: row.envelope as Envelope };
        });
        await publishBounded(outgoing);
        await tx.query('DELETE FROM tributary_outbox WHERE position = ANY($1::bigint[])', [taken.map((row) => row.position)]);
        for (const row of taken) deferred.delete(row.position);
        if (drained) backlogSuspected = false;
        return taken.length;
      }),
    );
  }

  /** Wakes the relay loop; `takeAll`: its next round publishes rows however young. */
  function wakeRelay(takeAll: boolean) {
    if (takeAll) nudged = true;
    woken = true;
    if (failures === 0) wake?.();
  }

  async function addMany(tx: SqlExecutor, envelopes: readonly Envelope[]): Promise<OutboxRow[]> {
    if (envelopes.length === 0) return [];
    const streams = envelopes.map((envelope) => routing.streamOf(envelope));
    // The statement's scan of the table sees it as it was before the INSERT
    // (a data-modifying WITH): `older` asks about other commits' rows only.
    // This process's rows not yet deleted are its own to order (the serial
    // chain): left out.
    const { rows } = await tx.query<{ position: string; event_id: string; older: boolean }>(
      `WITH inserted AS (
         INSERT INTO tributary_outbox (event_id, stream, envelope)
         SELECT item.value->>'id', ($2::text[])[item.n], item.value FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS item(value, n) ORDER BY item.n
         RETURNING position, event_id)
       SELECT inserted.position::text AS position, inserted.event_id,
              EXISTS (SELECT 1 FROM tributary_outbox o WHERE o.position < (SELECT min(position) FROM inserted) AND NOT (o.position = ANY($3::bigint[]))) AS older
       FROM inserted`,
      [JSON.stringify(envelopes), streams, [...inFlight, ...deleting]],
    );
    const positions = new Map(rows.map((row) => [row.event_id, row.position]));
    const olderWaiting = rows.some((row) => row.older);
    return envelopes.map((envelope, index) => {
      const position = positions.get(envelope.id);
      if (position === undefined) throw new TributaryError('TRIB_UNEXPECTED_REPLY', `outbox: no row came back for event ${envelope.id}`);
      return { position, stream: streams[index] as string, envelope, olderWaiting };
    });
  }

  function publishCommitted(rows: readonly OutboxRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    for (const row of rows) inFlight.add(row.position);
    waiting.push(...rows);
    // The first flush in the chain takes every row waiting by then: commits
    // that land while a pipeline is in flight share the next one.
    return serially(flushWaiting);
  }

  async function transaction<T>(work: (tx: SqlExecutor, emit: Emit) => Promise<T>, transactionOptions: TransactionOptions = {}): Promise<T> {
    let written: OutboxRow[] = [];
    try {
      const result = await db.transaction(async (tx) => {
        const emitted: Envelope[] = [];
        const value = await work(tx, (envelopes) => {
          if (Array.isArray(envelopes)) emitted.push(...(envelopes as readonly Envelope[]));
          else emitted.push(envelopes as Envelope);
        });
        for (const row of written) inFlight.delete(row.position);
        written = await addMany(tx, emitted);
        // Claimed before COMMIT so that a relay round right after it cannot take them too.
        for (const row of written) inFlight.add(row.position);
        return value;
      });
      const published = publishCommitted(written);
      if (transactionOptions.waitForPublish !== false) await published;
      // Nobody waits on it: a rejection (publishCommitted reports its own, so a bug) must still be reported, not crash the process.
      else published.catch(reportError);
      return result;
    } catch (error) {
      for (const row of written) inFlight.delete(row.position);
      throw error;
    }
  }

  // The safety-net relay's rounds (`tributary_periodic_*{job="outbox-relay"}`), in the service's registry once registerOutboxMetrics names it.
  let relayMeter = periodicJob('outbox-relay');

  let emptyRounds = 0;
  const quietDelay = () => relayPause({ emptyRounds, waitingRows: deferred.size > 0 || backlogSuspected, pollIntervalMs, relayMinAgeMs });

  async function loop() {
    while (!stopping) {
      try {
        const published = await relayMeter.measure(async (run) => {
          const count = await relayOnce();
          run.items(count);
          return count;
        });
        failures = 0;
        emptyRounds = published > 0 ? 0 : emptyRounds + 1;
        if (published > 0) {
          options.onPublished?.(published);
          if (published === batchSize) continue;
        }
      } catch (error) {
        failures++;
        emptyRounds = 0;
        options.onError?.(error as Error);
      }
      if (stopping) break;
      const delay = failures > 0 ? backoffDelay(failures, pollIntervalMs, 5_000) : quietDelay();
      if (woken && failures === 0) {
        woken = false;
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
    async install(executor: SqlExecutor = db) {
      await executor.query(`CREATE TABLE IF NOT EXISTS tributary_outbox (
        position bigserial PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
      // Null in rows an older version wrote: they go to the main stream, as they would have then.
      await executor.query('ALTER TABLE tributary_outbox ADD COLUMN IF NOT EXISTS stream text');
    },
    async add(tx, envelope) {
      await tx.query('INSERT INTO tributary_outbox (event_id, stream, envelope) VALUES ($1, $2, $3)', [envelope.id, routing.streamOf(envelope), JSON.stringify(envelope)]);
      // Rows added this way are the relay's to publish, however young: its next round takes everything.
      nudged = true;
    },
    addMany,
    transaction,
    publishCommitted,
    nudge: () => wakeRelay(true),
    relayOnce,
    async backlog() {
      // Published rows whose DELETE is on its way are not waiting.
      const { rows } = await db.query<{ count: string }>('SELECT count(*)::text AS count FROM tributary_outbox WHERE NOT (position = ANY($1::bigint[]))', [[...deleting]]);
      return Number(rows[0]?.count ?? 0);
    },
    start() {
      if (!running) running = loop();
    },
    meterInto(registry) {
      relayMeter = periodicJob('outbox-relay', { registry });
    },
    async close() {
      stopping = true;
      wake?.();
      await running;
      await serially.idle();
      await deletes;
    },
  };
}

/**
 * Which stream each event type goes to, and the publisher of each stream.
 * A row for a stream this process has no publisher for (written by a newer
 * version) fails its publication and waits, as rows do while the bus is down.
 */
function outboxRouting(main: Publisher, routes: readonly OutboxRoute[]) {
  const publishers = new Map<string, Publisher>([[main.stream, main]]);
  const streamByType = new Map<string, string>();
  for (const route of routes) {
    if (route.publisher.service !== main.service || publishers.has(route.publisher.stream)) {
      throw new TributaryError('TRIB_INVALID_CONFIG', `outbox: a route needs another stream of ${main.service}, not ${route.publisher.service}'s ${route.publisher.stream}`);
    }
    publishers.set(route.publisher.stream, route.publisher);
    for (const definition of route.events) {
      if (definition.stream !== route.publisher.stream) throw new TributaryError('TRIB_INVALID_CONFIG', `outbox: ${definition.type} is defined on ${definition.stream}, not ${route.publisher.stream}`);
      streamByType.set(definition.type, definition.stream);
    }
  }
  return {
    streamOf: (envelope: Envelope): string => streamByType.get(envelope.type) ?? main.stream,
    isConnected: (): boolean => [...publishers.values()].every((candidate) => candidate.isConnected()),
    /** Each stream's rows in the order given (position order), the streams side by side. */
    async publish(rows: readonly { stream: string; envelope: Envelope }[]): Promise<void> {
      const byStream = new Map<string, Envelope[]>();
      for (const row of rows) {
        const list = byStream.get(row.stream) ?? [];
        list.push(row.envelope);
        byStream.set(row.stream, list);
      }
      const batches = [...byStream].map(([stream, envelopes]) => {
        const target = publishers.get(stream);
        if (!target) throw new TributaryError('TRIB_UNKNOWN_STREAM', `outbox: no publisher for ${stream} (${envelopes.length} row(s) wait)`);
        return { target, envelopes };
      });
      await Promise.all(batches.map(({ target, envelopes }) => target.publishEnvelopes(envelopes)));
    },
  };
}

function comparePositions(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
