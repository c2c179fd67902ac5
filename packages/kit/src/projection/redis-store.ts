import { MultiErrorReply, WatchError } from '@redis/client';
import { TributaryError } from '../errors.ts';
import { clientForKey, type RedisClient } from '../redis/client.ts';
import type { ApplyEntry, ApplyResult, ProjectionStore } from './store.ts';

/** What an `apply` gets with the Redis store. */
export interface RedisProjectionTx {
  /** Queues a write: it commits in one MULTI with the checkpoint, or not at all. */
  write(command: string[]): void;
  /**
   * Reads now, under the WATCH of the checkpoint, so the read and the writes
   * that follow commit together or not at all. A read sees every earlier
   * entry's writes: the store commits them before running this entry (an
   * apply that reads costs a round trip; one that only writes is batched).
   */
  read<T = unknown>(command: string[]): Promise<T>;
}

export interface RedisProjectionStoreOptions {
  /** The store Redis (where the read model lives), not the bus. */
  redis: RedisClient;
  /** Checkpoints live at `<namespace>:checkpoint:<stream>`, e.g. namespace `mailing:{recipients}`. */
  namespace: string;
  /** What a rebuild deletes: every key that starts with `prefix`, or the keys `keys` lists. */
  readModel: { prefix: string } | { keys: (redis: RedisClient) => Promise<string[]> };
  /** Attempts of a reset that keeps losing to concurrent applies before it gives up. */
  resetAttempts?: number;
}

/** Thrown inside `read` to end the current MULTI before an entry that needs to read. */
const COMMIT_FIRST = Symbol('commit earlier entries first');

const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);

/**
 * The Redis projection store. Each batch runs on a connection of its own:
 * WATCH the checkpoint key, check it is the expected one, queue every
 * entry's writes and the new checkpoint in one MULTI, EXEC. If another
 * instance (or a rebuild) moved the checkpoint in between, EXEC is refused
 * and nothing is applied. On a Redis Cluster the read model and the
 * checkpoint must share a hash tag (e.g. `mailing:{recipients}:…`).
 */
export function createRedisProjectionStore(options: RedisProjectionStoreOptions): ProjectionStore<RedisProjectionTx> {
  const { redis, namespace } = options;
  const checkpointKey = (stream: string): string => `${namespace}:checkpoint:${stream}`;
  let guarded: RedisClient | null = null;

  async function dedicated(): Promise<RedisClient> {
    const connection = redis.duplicate();
    connection.on('error', () => undefined); // node-redis reconnects; the failing command rejects
    await connection.connect();
    return connection;
  }

  async function readModelKeys(connection: RedisClient): Promise<string[]> {
    if ('keys' in options.readModel) return options.readModel.keys(connection);
    const match = `${globEscape(options.readModel.prefix)}*`;
    // On a cluster the read model shares the namespace's hash tag, so one node holds all of it.
    connection = await clientForKey(connection, options.readModel.prefix);
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await connection.sendCommand<[string, string[]]>(['SCAN', cursor, 'MATCH', match, 'COUNT', '1000']);
      for (const key of keys) found.add(key);
      cursor = next;
    } while (cursor !== '0');
    return [...found];
  }

  async function commit(connection: RedisClient, stream: string, writes: string[][], through: string): Promise<Error | undefined> {
    const multi = connection.multi();
    for (const command of writes) multi.addCommand(command);
    multi.addCommand(['SET', checkpointKey(stream), through]);
    try {
      await multi.exec();
      return undefined;
    } catch (error) {
      // Redis ran the MULTI (checkpoint included) but some effects failed, e.g. WRONGTYPE.
      if (error instanceof MultiErrorReply) return error;
      throw error;
    }
  }

  async function applyBatch(stream: string, expected: string, entries: ReadonlyArray<ApplyEntry<RedisProjectionTx>>): Promise<ApplyResult> {
    if (!guarded) throw new TributaryError('TRIB_CONSUMER_STATE', 'projection store is not open');
    const key = checkpointKey(stream);
    // WATCH and the MULTI after it must run on one connection: on a cluster, that of the checkpoint's node.
    const connection = await clientForKey(guarded, key);
    const result: ApplyResult = { committedThrough: null, conflict: null, failure: null };
    let position = expected;
    let index = 0;
    while (index < entries.length && !result.failure) {
      await connection.watch(key);
      const stored = (await connection.get(key)) ?? '0';
      if (stored !== position) {
        await connection.unwatch();
        result.conflict = stored;
        return result;
      }
      const writes: string[][] = [];
      let last: string | null = null;
      for (; index < entries.length; index++) {
        const entry = entries[index] as ApplyEntry<RedisProjectionTx>;
        const mark = writes.length;
        if (entry.apply) {
          const tx: RedisProjectionTx = {
            write: (command) => { writes.push(command); },
            read: async <T>(command: string[]) => {
              if (mark > 0) throw COMMIT_FIRST;
              return connection.sendCommand<T>(command);
            },
          };
          try {
            await entry.apply(tx);
          } catch (caught) {
            writes.length = mark;
            if (caught !== COMMIT_FIRST) {
              result.failure = { entryId: entry.id, error: caught instanceof Error ? caught : new Error(String(caught)) };
            }
            break;
          }
        }
        last = entry.id;
      }
      if (last === null) {
        await connection.unwatch();
        break;
      }
      try {
        const commitError = await commit(connection, stream, writes, last);
        if (commitError) result.commitError = commitError;
      } catch (error) {
        if (!(error instanceof WatchError)) throw error;
        result.conflict = (await connection.get(key)) ?? '0';
        return result;
      }
      result.committedThrough = last;
      position = last;
    }
    return result;
  }

  return {
    async open() {
      guarded ??= await dedicated();
    },
    async close() {
      const connection = guarded;
      guarded = null;
      if (connection?.isOpen) await connection.close().catch(() => connection.destroy());
    },
    async checkpoints(streams) {
      if (streams.length === 0) return {};
      const values = await redis.sendCommand<Array<string | null>>(['MGET', ...streams.map(checkpointKey)]);
      return Object.fromEntries(streams.map((stream, i) => [stream, values[i] ?? '0']));
    },
    applyBatch,
    async reset(streams) {
      // Its own connection: WATCH is per connection, and the live loop uses the guarded one.
      const dedicatedConnection = await dedicated();
      try {
        const connection = streams[0] === undefined ? dedicatedConnection : await clientForKey(dedicatedConnection, checkpointKey(streams[0]));
        const attempts = options.resetAttempts ?? 20;
        for (let attempt = 1; attempt <= attempts; attempt++) {
          // WATCH before listing: a key an apply creates after this point
          // comes with a checkpoint write, which makes EXEC refuse.
          await connection.watch(streams.map(checkpointKey));
          const keys = await readModelKeys(connection);
          const multi = connection.multi();
          for (let i = 0; i < keys.length; i += 500) multi.addCommand(['UNLINK', ...keys.slice(i, i + 500)]);
          for (const stream of streams) multi.addCommand(['SET', checkpointKey(stream), '0']);
          try {
            await multi.exec();
            return;
          } catch (error) {
            if (!(error instanceof WatchError)) throw error;
          }
        }
        throw new TributaryError('TRIB_CONSUMER_STATE', `reset of ${namespace} lost to concurrent applies ${attempts} times`);
      } finally {
        await dedicatedConnection.close().catch(() => dedicatedConnection.destroy());
      }
    },
  };
}
