import type { RedisClient } from '../redis/client.ts';
import { parseEntries } from '../streams/commands.ts';
import type { Region } from './region.ts';

export interface ReplicatorOptions {
  /** The region whose log is read: its id and a client of its Redis (duplicated for blocking reads by `start`). */
  source: { region: string; redis: RedisClient };
  /** The region the entries are applied to. */
  target: Region;
  /** Entries read and applied per round trip. */
  batchSize?: number;
  /** How long one blocking read waits for new entries when running. */
  blockMs?: number;
  /** Pause after a failure (the source or target unreachable) before trying again. */
  retryMs?: number;
  /** After each batch that applied something: the entries applied, and how old the newest was (now minus its entry time, both clocks taken as one). */
  onApplied?: (report: { source: string; target: string; applied: number; entryIds: string[]; lastId: string; lagMs: number }) => void;
  /** A failure that the replicator will retry. */
  onError?: (error: unknown) => void;
}

export const replicatorDefaults = { batchSize: 500, blockMs: 1_000, retryMs: 250 };

export interface Replicator {
  /** Applies everything the source has logged so far (a "sync" of the book's tables); the number applied. */
  syncOnce(): Promise<number>;
  /** Keeps tailing the source until `close`, riding out disconnections. */
  start(): void;
  close(): Promise<void>;
}

type XReadReply = Array<[stream: string, entries: unknown]> | null;

/**
 * Tails one other region's log and applies it here, from the cursor kept in
 * this region's Redis. The cursor moves in the script that applies each
 * entry, so a crash at any point neither loses nor repeats one; entries of a
 * batch are pipelined, and one that is not the direct successor of the
 * cursor is refused ('gap') and simply read again.
 */
export function createReplicator(options: ReplicatorOptions): Replicator {
  const { source, target } = options;
  const batchSize = options.batchSize ?? replicatorDefaults.batchSize;
  const blockMs = options.blockMs ?? replicatorDefaults.blockMs;
  const retryMs = options.retryMs ?? replicatorDefaults.retryMs;
  const cursorKey = target.keys.cursor(source.region);
  let running: Promise<void> | undefined;
  let reader: RedisClient | undefined;
  let stopped = false;

  /** One read and apply; `read` 0 means caught up. */
  async function pass(from: RedisClient, block: number | undefined): Promise<{ read: number; applied: number }> {
    const cursor = (await target.redis.get(cursorKey)) ?? '0-0';
    const reply = await from.sendCommand<XReadReply>([
      'XREAD', 'COUNT', String(batchSize), ...(block === undefined ? [] : ['BLOCK', String(block)]), 'STREAMS', target.keys.log, cursor,
    ]);
    const entries = parseEntries(reply?.[0]?.[1]);
    if (entries.length === 0) return { read: 0, applied: 0 };
    let previous = cursor;
    const outcomes = await Promise.all(
      entries.map((entry) => {
        const after = previous;
        previous = entry.id;
        return target.applyRemote(source.region, after, entry);
      }),
    );
    const entryIds = entries.filter((_, i) => outcomes[i] === 'applied').map((entry) => entry.id);
    const lastId = entryIds.at(-1);
    if (lastId !== undefined) {
      options.onApplied?.({ source: source.region, target: target.id, applied: entryIds.length, entryIds, lastId, lagMs: Date.now() - Number(lastId.split('-')[0]) });
    }
    return { read: entries.length, applied: entryIds.length };
  }

  async function run(from: RedisClient): Promise<void> {
    while (!stopped) {
      try {
        await pass(from, blockMs);
      } catch (error) {
        if (stopped) return;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  }

  return {
    async syncOnce() {
      let total = 0;
      for (;;) {
        const { read, applied } = await pass(source.redis, undefined);
        if (read === 0) return total;
        total += applied;
      }
    },
    start() {
      if (running) return;
      stopped = false;
      const from = source.redis.duplicate();
      from.on('error', (error: Error) => options.onError?.(error));
      reader = from;
      running = from.connect().then(() => run(from), (error: unknown) => options.onError?.(error));
    },
    async close() {
      stopped = true;
      // Ends a blocking read at once instead of waiting out `blockMs`.
      try {
        reader?.destroy();
      } catch {
        // Already closed: nothing to end.
      }
      await running;
      running = undefined;
      reader = undefined;
    },
  };
}
