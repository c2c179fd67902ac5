import type { Envelope, RedisClient } from 'tributary';
import { createSerialQueue, replyRecord } from 'tributary';
import { RequestAccepted, RequestRejected, ReturnProcessed, BooksSentToShelving, type LENDING_REJECTIONS } from '@tributary/contracts';
import { exceedsLimit, type Outcome } from '../domain/outcome.ts';
import { envelopeHeader } from './envelopes.ts';
import { lendingKeys as keys } from './keys.ts';
import { commitLendingScript, returnBooksScript, undoReservationsScript } from './scripts.ts';
import { execScriptAlone, runScriptAlone } from './transaction.ts';

type Rejection = (typeof LENDING_REJECTIONS)[number];

export interface LendingStoreOptions {
  /** The bus Redis: lending's state lives with its streams (see keys.ts). */
  redis: RedisClient;
  group: string;
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

export type LendDecision =
  | { kind: 'accepted'; bookIds: string[]; unavailableBookIds: string[] }
  | { kind: 'rejected'; reason: Rejection; storedBookIds: string[]; sentBookIds: string[] }
  | { kind: 'already' };

export type ReturnResult =
  | { kind: 'processed'; returnedBookIds: string[]; refusedBookIds: string[]; storedBookIds: string[]; sentBookIds: string[] }
  | { kind: 'already' };

export interface LendingStore {
  /** Connects the dedicated WATCH connection. */
  open(): Promise<void>;
  close(): Promise<void>;
  decided(requestId: string): Promise<boolean>;
  reservedBooks(requestId: string): Promise<string[]>;
  isLent(bookId: string): Promise<boolean>;
  /** SMOVE from automated storage to the request's reserved set; false when the book is not in storage. */
  takeFromStorage(requestId: string, bookId: string): Promise<boolean>;
  addReserved(requestId: string, bookId: string): Promise<void>;
  /**
   * The book's optimistic transaction: WATCH the user's counter, read it,
   * then commit (lend) or compensate (LIMIT_EXCEEDED) in one script; if the
   * counter changed in between, decide again. `limitChecked` runs after the
   * read, before EXEC (the crash hook's `limit-checked`).
   */
  decide(request: RequestInHand, limitChecked: () => Promise<void>): Promise<LendDecision>;
  /** Rejects without a limit check (NONE_AVAILABLE, SHELVING_UNAVAILABLE), undoing reservations. */
  reject(request: RequestInHand, reason: Rejection, bookIdsAtFault: string[]): Promise<LendDecision>;
  applyReturn(request: RequestInHand): Promise<ReturnResult>;
  outcome(requestId: string): Promise<Outcome | null>;
  storage(): Promise<string[]>;
  userBooks(userId: string): Promise<{ bookIds: string[]; count: number }>;
}

const now = (): string => new Date().toISOString();
const parseList = (json: string | undefined): string[] | undefined => (json ? (JSON.parse(json) as string[]) : undefined);

export function createLendingStore(options: LendingStoreOptions): LendingStore {
  const { redis, group } = options;
  const ttl = String(options.outcomeTtlSeconds);
  let guarded: RedisClient | null = null;
  // WATCH state belongs to a connection: one decision at a time on it. The
  // consumer already runs handlers one by one; this keeps it true if more
  // than one handler ever shares the store.
  const serial = createSerialQueue();

  function undoArgs(request: RequestInHand, reason: Rejection, bookIdsAtFault: string[], at: string): string[] {
    const data = {
      requestId: request.requestId,
      userId: request.userId,
      bookIds: request.bookIds,
      reason,
      ...(bookIdsAtFault.length > 0 ? { bookIdsAtFault } : {}),
    };
    const problem = RequestRejected.validate(data);
    if (problem) throw new Error(`RequestRejected for ${request.requestId}: ${problem}`);
    return [
      request.requestId, group, request.userId, String(options.storageCapacity), ttl, at, reason,
      JSON.stringify(request.bookIds), JSON.stringify(bookIdsAtFault), JSON.stringify(data),
      ...envelopeHeader(RequestRejected, request.cause, request.requestId, 'outcome', at),
      ...envelopeHeader(BooksSentToShelving, request.cause, request.requestId, 'shelving', at),
    ];
  }
  const undoKeys = (requestId: string) => [keys.outcome(requestId), keys.reserved(requestId), keys.storage(), keys.events(), keys.requests()];

  function rejected(reply: string[], reason: Rejection): LendDecision {
    if (reply[0] === 'already') return { kind: 'already' };
    return { kind: 'rejected', reason, storedBookIds: JSON.parse(reply[1] ?? '[]'), sentBookIds: JSON.parse(reply[2] ?? '[]') };
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

    decide(request, limitChecked) {
      return serial(async () => {
        if (!guarded) throw new Error('lending store is not open');
        const connection = guarded;
        const { requestId, userId } = request;
        const counter = keys.userCount(userId);
        for (let round = 1; ; round++) {
          if (round > 100) throw new Error(`request ${requestId}: lost the optimistic lock 100 times`);
          await connection.sendCommand(['WATCH', counter]);
          let result;
          try {
            const held = Number((await connection.sendCommand<string | null>(['GET', counter])) ?? 0);
            const reserving = Number(await connection.sendCommand(['SCARD', keys.reserved(requestId)]));
            await limitChecked();
            const at = now();
            if (reserving > 0 && exceedsLimit(held, reserving, options.maxBooksPerUser)) {
              const outcome = await execScriptAlone<string[]>(connection, undoReservationsScript, undoKeys(requestId), undoArgs(request, 'LIMIT_EXCEEDED', [], at));
              if (outcome.kind !== 'ok') continue;
              return rejected(outcome.reply, 'LIMIT_EXCEEDED');
            }
            result = await execScriptAlone<string[]>(
              connection,
              commitLendingScript,
              [keys.outcome(requestId), keys.reserved(requestId), counter, keys.userBooks(userId), keys.lent(), keys.events(), keys.requests()],
              [
                requestId, group, userId, String(options.maxBooksPerUser), ttl, at,
                ...envelopeHeader(RequestAccepted, request.cause, requestId, 'outcome', at),
                ...request.bookIds,
              ],
            );
          } catch (error) {
            await connection.sendCommand(['UNWATCH']).catch(() => undefined);
            throw error;
          }
          if (result.kind !== 'ok') continue; // the counter moved, or the script had to be loaded: decide again
          const [verdict, lentJson, unavailableJson] = result.reply;
          if (verdict === 'committed') return { kind: 'accepted', bookIds: JSON.parse(lentJson ?? '[]'), unavailableBookIds: JSON.parse(unavailableJson ?? '[]') };
          if (verdict === 'already') return { kind: 'already' };
          if (verdict === 'empty') {
            // Nothing reserved any more (only possible if the set was emptied by hand): nothing to lend.
            return rejected(await runScriptAlone<string[]>(redis, undoReservationsScript, undoKeys(requestId), undoArgs(request, 'NONE_AVAILABLE', [], now())), 'NONE_AVAILABLE');
          }
          // 'limit': the script saw a count our read did not; WATCH makes this unexpected, so just decide again.
        }
      });
    },

    async reject(request, reason, bookIdsAtFault) {
      const reply = await runScriptAlone<string[]>(redis, undoReservationsScript, undoKeys(request.requestId), undoArgs(request, reason, bookIdsAtFault, now()));
      return rejected(reply, reason);
    },

    async applyReturn(request) {
      const { requestId, userId } = request;
      const at = now();
      const reply = await runScriptAlone<string[]>(
        redis,
        returnBooksScript,
        [keys.outcome(requestId), keys.returnTemp(requestId), keys.lent(), keys.userCount(userId), keys.userBooks(userId), keys.storage(), keys.events(), keys.requests()],
        [
          requestId, group, userId, String(options.storageCapacity), ttl, at,
          ...envelopeHeader(ReturnProcessed, request.cause, requestId, 'outcome', at),
          ...envelopeHeader(BooksSentToShelving, request.cause, requestId, 'shelving', at),
          ...request.bookIds,
        ],
      );
      if (reply[0] === 'already') return { kind: 'already' };
      const [, returned, refused, stored, sent] = reply;
      return {
        kind: 'processed',
        returnedBookIds: JSON.parse(returned ?? '[]'),
        refusedBookIds: JSON.parse(refused ?? '[]'),
        storedBookIds: JSON.parse(stored ?? '[]'),
        sentBookIds: JSON.parse(sent ?? '[]'),
      };
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

