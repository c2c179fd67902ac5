import type { Envelope, EventDefinition, RedisClient } from 'tributary';
import { clientForKey, createSerialQueue, replyRecord, runLuaScript } from 'tributary';
import { RequestAccepted, RequestRejected, ReturnProcessed, BooksSentToShelving, type LENDING_REJECTIONS } from '@tributary/contracts';
import { exceedsLimit, type Outcome } from '../domain/outcome.ts';
import { envelopeHeader } from './envelopes.ts';
import { lendingKeys as keys } from './keys.ts';
import { giveBackScript, lendReservedScript, recordOutcomeScript, shelveReturnedScript, takeLoanScript, undoReservationsScript } from './scripts.ts';
import { execScriptAlone } from './transaction.ts';

type Rejection = (typeof LENDING_REJECTIONS)[number];

export interface LendingStoreOptions {
  /** The bus Redis: lending's state lives with its streams (see keys.ts). */
  redis: RedisClient;
  maxBooksPerUser: number;
  storageCapacity: number;
  outcomeTtlSeconds: number;
}

/** A request being handled: its entry id, what it asks, and its envelope (the cause of the outcome event). */
export interface RequestInHand {
  requestId: string;
  userId: string;
  bookIds: string[];
  cause: Envelope;
}

/** What the inventory step of a request did (its settled marker). */
export type Settled =
  | { kind: 'lent'; lent: string[] }
  | { kind: 'undone'; reason: Rejection; atFault: string[]; stored: string[]; sent: string[] }
  | { kind: 'returned'; stored: string[]; sent: string[] };

export type Loan = { kind: 'taken'; bookIds: string[] } | { kind: 'limit'; held: number };

export interface LendingStore {
  /** Connects the dedicated WATCH connection. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** The outcome is recorded and its events published: only the ack is left. */
  decided(requestId: string): Promise<boolean>;
  /** The inventory step done for this request, if any: it fixes the decision. */
  settled(requestId: string): Promise<Settled | null>;
  /** The books the user's step took for this lending request, if it ran. */
  loan(userId: string, requestId: string): Promise<string[] | null>;
  reservedBooks(requestId: string): Promise<string[]>;
  isLent(bookId: string): Promise<boolean>;
  /** SMOVE from automated storage to the request's reserved set; false when the book is not in storage. */
  takeFromStorage(requestId: string, bookId: string): Promise<boolean>;
  addReserved(requestId: string, bookId: string): Promise<void>;
  /**
   * The book's optimistic transaction, on the user's slot: WATCH the user's
   * counter, read it, then take the books onto the user's count (takeLoan)
   * alone in MULTI/EXEC; if the counter changed in between, read again.
   * `limitChecked` runs after the read, before EXEC (the crash hook's `limit-checked`).
   */
  takeLoan(request: RequestInHand, bookIds: string[], limitChecked: () => Promise<void>): Promise<Loan>;
  /** The inventory's step of an accepted request: the books leave the reservation and are lent. */
  lendReserved(request: RequestInHand, bookIds: string[]): Promise<Settled>;
  /**
   * After lendReserved, on the user's slot: the books are lent, no longer
   * pending, so a return may give them back. Idempotent (SREM).
   */
  loanLent(request: RequestInHand, bookIds: string[]): Promise<void>;
  /** The inventory's step of a rejected request: reservations back to storage, or to shelving. */
  undoReservations(request: RequestInHand, reason: Rejection, bookIdsAtFault: string[]): Promise<Settled>;
  /** The user's step of a return: the books the user holds are given back, the others refused. */
  giveBack(request: RequestInHand): Promise<{ returned: string[]; refused: string[] }>;
  /** The inventory's step of a return: the books leave the lent hash, refill storage, the rest go to shelving. */
  shelveReturned(request: RequestInHand, returned: string[]): Promise<Settled>;
  /** Records the outcome and publishes its events, at once; false if it was recorded before. */
  recordAccepted(request: RequestInHand, lent: string[]): Promise<boolean>;
  recordRejected(request: RequestInHand, settled: Extract<Settled, { kind: 'undone' }>): Promise<boolean>;
  recordReturn(request: RequestInHand, given: { returned: string[]; refused: string[] }, settled: Settled): Promise<boolean>;
  outcome(requestId: string): Promise<Outcome | null>;
  storage(): Promise<string[]>;
  userBooks(userId: string): Promise<{ bookIds: string[]; count: number }>;
}

const now = (): string => new Date().toISOString();
const parseList = (json: string | undefined): string[] | undefined => (json ? (JSON.parse(json) as string[]) : undefined);

function parseSettled(json: string): Settled {
  const value = JSON.parse(json) as Settled;
  if (value.kind !== 'lent' && value.kind !== 'undone' && value.kind !== 'returned') throw new Error(`unreadable settled marker: ${json}`);
  return value;
}

/**
 * Lending's state in Redis, a request decided in steps over the slots of
 * keys.ts: the inventory's (reservations), the user's (the limit, under
 * WATCH), the inventory's again (lent, or reservations undone), then the
 * outcome with its events. Every step is idempotent per request id and the
 * first one done of "lent" or "undone" fixes the decision, so the handler's
 * redelivery after a crash at any point finishes what was begun.
 *
 * What a reader may see between the steps: a user's count already holding
 * books the lent hash does not list yet (or, for a return, no longer holding
 * books still listed as lent), for the moment until the next step.
 */
export function createLendingStore(options: LendingStoreOptions): LendingStore {
  const { redis } = options;
  const ttl = options.outcomeTtlSeconds;
  let guarded: RedisClient | null = null;
  // WATCH state belongs to a connection: one decision at a time on it. The
  // consumer already runs handlers one by one; this keeps it true if more
  // than one handler ever shares the store.
  const serial = createSerialQueue();

  function event(definition: EventDefinition, request: RequestInHand, discriminator: string, at: string, data: unknown): string[] {
    const problem = definition.validate(data);
    if (problem) throw new Error(`${definition.type} for ${request.requestId}: ${problem}`);
    return [...envelopeHeader(definition, request.cause, request.requestId, discriminator, at), JSON.stringify(data)];
  }

  async function record(request: RequestInHand, fields: Record<string, string>, events: string[][]): Promise<boolean> {
    const pairs = Object.entries(fields).flat();
    const reply = await runLuaScript<number>(redis, recordOutcomeScript, [keys.outcome(request.requestId), keys.events()], [ttl, pairs.length / 2, ...pairs, ...events.flat()]);
    return Number(reply) === 1;
  }

  function sentToShelving(request: RequestInHand, sent: string[], at: string): string[][] {
    return sent.length > 0 ? [event(BooksSentToShelving, request, 'shelving', at, { requestId: request.requestId, bookIds: sent })] : [];
  }

  return {
    async open() {
      if (guarded) return;
      const connection = redis.duplicate();
      connection.on('error', () => undefined); // node-redis reconnects; the failing command rejects
      await connection.connect();
      guarded = connection;
    },
    async close() {
      const connection = guarded;
      guarded = null;
      await serial.idle();
      if (connection?.isOpen) await connection.close().catch(() => connection.destroy());
    },
    async decided(requestId) {
      return Number(await redis.sendCommand(['EXISTS', keys.outcome(requestId)])) === 1;
    },
    async settled(requestId) {
      const json = await redis.sendCommand<string | null>(['GET', keys.settled(requestId)]);
      return json ? parseSettled(json) : null;
    },
    async loan(userId, requestId) {
      const json = await redis.sendCommand<string | null>(['GET', keys.userStep(userId, requestId)]);
      return json ? (JSON.parse(json) as string[]) : null;
    },
    reservedBooks: (requestId) => redis.sendCommand<string[]>(['SMEMBERS', keys.reserved(requestId)]),
    async isLent(bookId) {
      return Number(await redis.sendCommand(['HEXISTS', keys.lent(), bookId])) === 1;
    },
    async takeFromStorage(requestId, bookId) {
      return Number(await redis.sendCommand(['SMOVE', keys.storage(), keys.reserved(requestId), bookId])) === 1;
    },
    async addReserved(requestId, bookId) {
      await redis.sendCommand(['SADD', keys.reserved(requestId), bookId]);
    },

    takeLoan(request, bookIds, limitChecked) {
      return serial(async () => {
        if (!guarded) throw new Error('lending store is not open');
        const { requestId, userId } = request;
        const counter = keys.userCount(userId);
        // On a cluster, the connection of the node that holds the user's slot (the WATCH must be on it).
        const connection = await clientForKey(guarded, counter);
        for (let round = 1; ; round++) {
          if (round > 100) throw new Error(`request ${requestId}: lost the optimistic lock 100 times`);
          await connection.sendCommand(['WATCH', counter]);
          let result;
          try {
            const held = Number((await connection.sendCommand<string | null>(['GET', counter])) ?? 0);
            const taken = await connection.sendCommand<string | null>(['GET', keys.userStep(userId, requestId)]);
            await limitChecked();
            if (!taken && exceedsLimit(held, bookIds.length, options.maxBooksPerUser)) {
              await connection.sendCommand(['UNWATCH']);
              return { kind: 'limit', held };
            }
            result = await execScriptAlone<[string, string]>(
              connection,
              takeLoanScript,
              [counter, keys.userBooks(userId), keys.userStep(userId, requestId), keys.userPending(userId)],
              [String(options.maxBooksPerUser), String(ttl), ...bookIds],
            );
          } catch (error) {
            await connection.sendCommand(['UNWATCH']).catch(() => undefined);
            throw error;
          }
          if (result.kind !== 'ok') continue; // the counter moved, or the script had to be loaded: read again
          const [verdict, detail = ''] = result.reply;
          if (verdict === 'taken' || verdict === 'already') return { kind: 'taken', bookIds: JSON.parse(detail) as string[] };
          // 'limit': the script saw a count our read did not; WATCH makes this unexpected, so read again.
        }
      });
    },

    async lendReserved(request, bookIds) {
      const json = await runLuaScript<string>(redis, lendReservedScript, [keys.reserved(request.requestId), keys.lent(), keys.settled(request.requestId)], [request.userId, ttl, ...bookIds]);
      return parseSettled(json);
    },
    async loanLent(request, bookIds) {
      await redis.sendCommand(['SREM', keys.userPending(request.userId), ...bookIds]);
    },
    async undoReservations(request, reason, bookIdsAtFault) {
      const json = await runLuaScript<string>(
        redis,
        undoReservationsScript,
        [keys.reserved(request.requestId), keys.storage(), keys.settled(request.requestId)],
        [options.storageCapacity, ttl, reason, JSON.stringify(bookIdsAtFault)],
      );
      return parseSettled(json);
    },
    async giveBack(request) {
      const json = await runLuaScript<string>(
        redis,
        giveBackScript,
        [keys.userCount(request.userId), keys.userBooks(request.userId), keys.userStep(request.userId, request.requestId), keys.userPending(request.userId)],
        [ttl, ...request.bookIds],
      );
      return JSON.parse(json) as { returned: string[]; refused: string[] };
    },
    async shelveReturned(request, returned) {
      const json = await runLuaScript<string>(
        redis,
        shelveReturnedScript,
        [keys.lent(), keys.storage(), keys.settled(request.requestId)],
        [request.userId, options.storageCapacity, ttl, ...returned],
      );
      return parseSettled(json);
    },

    async recordAccepted(request, lent) {
      const at = now();
      const lentSet = new Set(lent);
      const unavailable = request.bookIds.filter((bookId) => !lentSet.has(bookId));
      const data = { requestId: request.requestId, userId: request.userId, bookIds: lent, unavailableBookIds: unavailable };
      const fields = { kind: 'lend', status: 'ACCEPTED', userId: request.userId, bookIds: JSON.stringify(lent), unavailableBookIds: JSON.stringify(unavailable), processedAt: at };
      return record(request, fields, [event(RequestAccepted, request, 'outcome', at, data)]);
    },
    async recordRejected(request, settled) {
      const at = now();
      const data = {
        requestId: request.requestId,
        userId: request.userId,
        bookIds: request.bookIds,
        reason: settled.reason,
        ...(settled.atFault.length > 0 ? { bookIdsAtFault: settled.atFault } : {}),
      };
      const fields = {
        kind: 'lend', status: 'REJECTED', userId: request.userId, reason: settled.reason,
        bookIds: JSON.stringify(request.bookIds), bookIdsAtFault: JSON.stringify(settled.atFault), processedAt: at,
      };
      // The outcome first: a reader waiting for this request's answer meets it before the shelving event.
      return record(request, fields, [event(RequestRejected, request, 'outcome', at, data), ...sentToShelving(request, settled.sent, at)]);
    },
    async recordReturn(request, given, settled) {
      const at = now();
      const data = { requestId: request.requestId, userId: request.userId, returnedBookIds: given.returned, refusedBookIds: given.refused };
      const fields = { kind: 'return', status: 'PROCESSED', userId: request.userId, returnedBookIds: JSON.stringify(given.returned), refusedBookIds: JSON.stringify(given.refused), processedAt: at };
      const sent = settled.kind === 'lent' ? [] : settled.sent;
      return record(request, fields, [event(ReturnProcessed, request, 'outcome', at, data), ...sentToShelving(request, sent, at)]);
    },

    async outcome(requestId) {
      const hash = replyRecord(await redis.sendCommand(['HGETALL', keys.outcome(requestId)]));
      if (Object.keys(hash).length === 0) return null;
      const outcome: Outcome = {
        requestId,
        kind: hash.kind === 'return' ? 'return' : 'lend',
        status: hash.status as Outcome['status'],
        userId: hash.userId ?? '',
        processedAt: hash.processedAt ?? '',
      };
      if (hash.reason) outcome.reason = hash.reason as Rejection;
      for (const field of ['bookIds', 'unavailableBookIds', 'bookIdsAtFault', 'returnedBookIds', 'refusedBookIds'] as const) {
        const list = parseList(hash[field]);
        if (list) outcome[field] = list;
      }
      return outcome;
    },
    async storage() {
      return (await redis.sendCommand<string[]>(['SMEMBERS', keys.storage()])).sort();
    },
    async userBooks(userId) {
      const [bookIds, count] = await Promise.all([
        redis.sendCommand<string[]>(['SMEMBERS', keys.userBooks(userId)]),
        redis.sendCommand<string | null>(['GET', keys.userCount(userId)]),
      ]);
      return { bookIds: bookIds.sort(), count: Number(count ?? 0) };
    },
  };
}
