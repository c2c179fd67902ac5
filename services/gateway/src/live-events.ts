import { decodeEnvelope, isCluster, keySlot, lastEntryId, replyRecord, replyStreams, type RedisClient } from 'tributary';

/** One stream entry as GET /api/events/live sends it: the envelope, decoded, with where it sits. */
export interface LiveEntry {
  stream: string;
  entryId: string;
  id: string;
  type: string;
  version: number;
  source: string;
  time: string;
  correlationId: string;
  causationId: string | null;
  /** The trace id part of the envelope's traceparent (null if it has none we can read). */
  traceId: string | null;
  data: unknown;
}

/**
 * Every new entry on the observed streams, for every browser watching, from
 * ONE loop of `XREAD BLOCK` per gateway on a connection of its own (a blocked
 * connection can run nothing else; on a Redis Cluster, one per stream's slot). Started by the first listener, stopped
 * with the last: a gateway nobody watches does not poll the bus. Like the
 * drone positions it is a view, not a delivery guarantee: no consumer group,
 * nothing acked, a listener sees entries from (about) the moment it joined.
 */
export interface LiveEvents {
  /** Resolves once the loop knows where the streams end; the returned function stops listening. */
  listen(listener: (entry: LiveEntry) => void): Promise<() => void>;
  /** True while a loop (and its connection) exists: for tests and the curious. */
  running(): boolean;
  close(): Promise<void>;
}

export interface LiveEventsOptions {
  /** How long one XREAD blocks; stopping never waits for it (the connection is dropped). */
  blockMs?: number;
  /** Entries per XREAD; a busier bus is read in several round trips. */
  count?: number;
  /** A failed XREAD (bus down): reported, then retried after this pause. */
  retryMs?: number;
  onError?: (error: Error) => void;
}

interface Loop {
  stop(): Promise<void>;
}

/** The name of the loop's connection on the bus (CLIENT LIST). */
export const LOOP_CONNECTION_NAME = 'gateway-live-events';

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function toLiveEntry(stream: string, entryId: string, flat: string[] | null): LiveEntry | null {
  const decoded = decodeEnvelope(replyRecord(flat));
  // Entries that are not envelopes are the consumers' problem (they dead-letter them); the feed shows events.
  if (!decoded.ok) return null;
  const { envelope } = decoded;
  return {
    stream,
    entryId,
    id: envelope.id,
    type: envelope.type,
    version: envelope.version,
    source: envelope.source,
    time: envelope.time,
    correlationId: envelope.correlationId,
    causationId: envelope.causationId,
    traceId: TRACEPARENT.exec(envelope.traceparent)?.[1] ?? null,
    data: envelope.data,
  };
}

export function liveEvents(bus: RedisClient, streams: readonly string[], options: LiveEventsOptions = {}): LiveEvents {
  const blockMs = options.blockMs ?? 2_000;
  const count = options.count ?? 500;
  const retryMs = options.retryMs ?? 1_000;
  const listeners = new Set<(entry: LiveEntry) => void>();
  let loop: Promise<Loop> | null = null;

  function dispatch(entry: LiveEntry) {
    for (const listener of listeners) {
      // One broken listener (a closed response, say) must not starve the others.
      try {
        listener(entry);
      } catch (error) {
        options.onError?.(error as Error);
      }
    }
  }

  /**
   * One loop for all streams on one server. On a Redis Cluster an XREAD may
   * only name keys of one slot, and every stream is on a slot of its own:
   * there, one loop per slot, each on a connection of its own.
   */
  async function start(): Promise<Loop> {
    const slotOf = (stream: string) => (isCluster(bus) ? keySlot(stream) : 0);
    const bySlot = new Map<number, string[]>();
    for (const stream of streams) bySlot.set(slotOf(stream), [...(bySlot.get(slotOf(stream)) ?? []), stream]);
    const loops = await Promise.allSettled([...bySlot.values()].map((group) => startLoop(group)));
    const started = loops.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = loops.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    const stopAll = async () => {
      await Promise.all(started.map((running) => running.stop()));
    };
    if (failed) {
      await stopAll();
      throw failed.reason;
    }
    return { stop: stopAll };
  }

  async function startLoop(streams: readonly string[]): Promise<Loop> {
    const connection = bus.duplicate();
    // node-redis reconnects by itself; a failing XREAD below is what we act on.
    connection.on('error', (error: Error) => options.onError?.(error));
    await connection.connect();
    let stopped = false;
    let retryTimer: NodeJS.Timeout | null = null;
    let wakeRetry: (() => void) | null = null;
    try {
      // Named, so CLIENT LIST on the bus shows who holds this blocked connection.
      await connection.sendCommand(['CLIENT', 'SETNAME', LOOP_CONNECTION_NAME]);
      // Where each stream ends now: XREAD with `$` again on every round would
      // skip entries added between two rounds, so we keep our own positions.
      const ids = await Promise.all(streams.map(async (stream) => (await lastEntryId(connection, stream)) ?? '0-0'));
      const positions = new Map(streams.map((stream, index) => [stream, ids[index] as string]));
      const done = (async () => {
        while (!stopped) {
          let reply: unknown;
          try {
            reply = await connection.sendCommand([
              'XREAD', 'COUNT', String(count), 'BLOCK', String(blockMs), 'STREAMS', ...streams, ...streams.map((stream) => positions.get(stream) as string),
            ]);
          } catch (error) {
            if (stopped) return;
            options.onError?.(error as Error);
            await new Promise<void>((resolve) => {
              wakeRetry = resolve;
              retryTimer = setTimeout(resolve, retryMs);
            });
            continue;
          }
          for (const { stream, entries } of replyStreams(reply)) {
            for (const [entryId, flat] of entries) {
              positions.set(stream, entryId);
              const entry = toLiveEntry(stream, entryId, flat);
              if (entry) dispatch(entry);
            }
          }
        }
      })();
      return {
        async stop() {
          stopped = true;
          if (retryTimer) clearTimeout(retryTimer);
          (wakeRetry as (() => void) | null)?.();
          // The XREAD may block for blockMs more: drop the connection rather than wait.
          connection.destroy();
          await done;
        },
      };
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  function stop(): Promise<void> {
    const current = loop;
    loop = null;
    return current ? current.then((running) => running.stop(), () => undefined) : Promise.resolve();
  }

  return {
    async listen(listener) {
      listeners.add(listener);
      loop ??= start();
      const current = loop;
      try {
        await current;
      } catch (error) {
        listeners.delete(listener);
        if (loop === current) loop = null;
        throw error;
      }
      return () => {
        if (!listeners.delete(listener)) return;
        if (listeners.size === 0) void stop();
      };
    },
    running: () => loop !== null,
    async close() {
      listeners.clear();
      await stop();
    },
  };
}
