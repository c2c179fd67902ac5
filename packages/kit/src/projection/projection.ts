import type { Registry } from 'prom-client';
import { TributaryError } from '../errors.ts';
import type { RedisClient } from '../redis/client.ts';
import { isRedisError } from '../redis/reply-errors.ts';
import { backoffDelay } from '../streams/backoff.ts';
import { compareIds, ensureGroup, lastEntryId, parseEntries, type StreamEntry } from '../streams/commands.ts';
import { defaultConsumerName } from '../streams/consumer.ts';
import { moveToDeadLetters, REPLAY_GROUP_FIELD } from '../streams/dead-letters.ts';
import { decodeEnvelope, type Envelope } from '../streams/envelope.ts';
import type { EventData, EventDefinition } from '../streams/events.ts';
import { projectionMetrics } from './metrics.ts';
import type { ApplyEntry, ProjectionStore } from './store.ts';

export interface ApplyContext {
  stream: string;
  entryId: string;
}

export type Apply<D extends EventDefinition, Tx> = (event: Envelope<EventData<D>>, tx: Tx, context: ApplyContext) => void | Promise<void>;

export type ProjectionReport =
  | { kind: 'applied'; stream: string; through: string; entries: number }
  | { kind: 'conflict'; stream: string; checkpoint: string }
  | { kind: 'retry'; stream: string; entryId: string; attempt: number; delayMs: number; error: Error }
  | { kind: 'dead-lettered'; stream: string; entryId: string; reason: string }
  | { kind: 'commit-error'; stream: string; error: Error }
  | { kind: 'rebuilt'; positions: Record<string, string> }
  | { kind: 'loop-error'; error: Error };

export interface ProjectionOptions<Tx> {
  /** Names the projection; its trim-guard consumer group is `projection:<name>`. */
  name: string;
  /** The bus Redis, where the source streams are. */
  bus: RedisClient;
  store: ProjectionStore<Tx>;
  /** Shown as the consumer in dead letters; default TRIBUTARY_INSTANCE or host-pid. */
  instance?: string;
  batchSize?: number;
  blockMs?: number;
  /** Failed applies of one entry before it is skipped and dead-lettered (counted per process). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How often an idle loop re-reads the stored checkpoints (to notice another instance's rebuild). */
  checkpointRefreshMs?: number;
  /** Lag and throughput metrics are registered here when given. */
  registry?: Registry;
  onReport?: (report: ProjectionReport) => void;
}

export const projectionDefaults = {
  batchSize: 100,
  blockMs: 1_000,
  maxAttempts: 5,
  backoffBaseMs: 100,
  backoffMaxMs: 5_000,
  checkpointRefreshMs: 5_000,
};

export interface Projection<Tx> {
  readonly name: string;
  /** The consumer group on each source stream that holds back trimming. */
  readonly group: string;
  /** Source streams, from the registered event definitions. */
  readonly streams: readonly string[];
  on<D extends EventDefinition>(definition: D, apply: Apply<D, Tx>): Projection<Tx>;
  /** Continues from the stored checkpoints (catching up on whatever was published meanwhile), then follows live. */
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Clears the read model and the checkpoints, points the trim guard at the
   * start, and lets the loop replay from '0'. Returns the streams' tips at
   * that moment: the replay has caught up when the checkpoints reach them.
   * It can only replay what trimming kept.
   */
  rebuild(): Promise<Record<string, string>>;
  checkpoints(): Promise<Record<string, string>>;
  /**
   * The id of each source stream's last entry ('0' for an empty stream),
   * read after the call; callers at the same moment share one read.
   */
  tips(): Promise<Record<string, string>>;
  /** Resolves true once every stored checkpoint has reached its target, false on timeout or abort. */
  waitFor(targets: Record<string, string>, options?: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal }): Promise<boolean>;
}

interface Route {
  definition: EventDefinition;
  apply: (event: Envelope<unknown>, tx: unknown, context: ApplyContext) => void | Promise<void>;
}

interface Skipped {
  entry: StreamEntry;
  handler: string;
  reason: string;
  attempts: number;
}

export function createProjection<Tx>(options: ProjectionOptions<Tx>): Projection<Tx> {
  const config = { ...projectionDefaults, ...options };
  const { bus, store, name } = config;
  const group = `projection:${name}`;
  const instance = options.instance ?? defaultConsumerName();
  const routes = new Map<string, Map<number, Route>>();
  const streams: string[] = [];
  const cursors = new Map<string, string>();
  // Failed applies per entry id, and the last error: in memory, so a restart starts the count again.
  const failures = new Map<string, { count: number; error: string }>();
  const report = config.onReport ?? (() => undefined);
  let metrics: ((event: ProjectionReport) => void) | null = null;
  let reader: RedisClient | null = null;
  let loop: Promise<void> | null = null;
  let closing: Promise<void> | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  let refreshAt = 0;

  const emit = (event: ProjectionReport) => {
    metrics?.(event);
    report(event);
  };

  /** A pause that close() cuts short. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => { wake = null; resolve(); }, ms);
      wake = () => { clearTimeout(timer); wake = null; resolve(); };
    });

  async function pointGroup(stream: string, id: string) {
    try {
      await bus.sendCommand(['XGROUP', 'SETID', stream, group, id]);
    } catch (error) {
      if (!isRedisError(error, 'NOGROUP')) throw error;
      await ensureGroup(bus, stream, group, id);
    }
  }

  async function loadCursors() {
    const stored = await store.checkpoints(streams);
    for (const stream of streams) cursors.set(stream, stored[stream] ?? '0');
    refreshAt = Date.now() + config.checkpointRefreshMs;
  }

  function prepare(stream: string, entry: StreamEntry, skipped: Skipped[]): ApplyEntry<Tx> {
    const skip = (handler: string, reason: string, attempts = 1): ApplyEntry<Tx> => {
      skipped.push({ entry, handler, reason, attempts });
      return { id: entry.id, apply: null };
    };
    if (Object.keys(entry.fields).length === 0) return { id: entry.id, apply: null };
    const replayFor = entry.fields[REPLAY_GROUP_FIELD];
    if (replayFor !== undefined && replayFor !== group) return { id: entry.id, apply: null };
    const decoded = decodeEnvelope(entry.fields);
    if (!decoded.ok) return skip('-', `invalid entry: ${decoded.reason}`);
    const event = decoded.envelope;
    const versions = routes.get(event.type);
    if (!versions) return { id: entry.id, apply: null };
    const route = versions.get(event.version);
    if (!route) return skip(event.type, `no apply for ${event.type} version ${event.version}`);
    const problem = route.definition.validate(event.data);
    if (problem) return skip(event.type, `invalid ${event.type}: ${problem}`);
    const failed = failures.get(entry.id);
    if (failed && failed.count >= config.maxAttempts) return skip(event.type, failed.error, failed.count);
    return { id: entry.id, apply: (tx) => route.apply(event, tx, { stream, entryId: entry.id }) };
  }

  async function applyEntries(stream: string, entries: StreamEntry[]) {
    const skipped: Skipped[] = [];
    const prepared = entries.map((entry) => prepare(stream, entry, skipped));
    const result = await store.applyBatch(stream, cursors.get(stream) ?? '0', prepared);
    const through = result.committedThrough;
    if (through !== null) {
      // Only the instance whose commit covered them records the skipped entries, so two instances do not both.
      for (const item of skipped) {
        if (compareIds(item.entry.id, through) > 0) continue;
        await moveToDeadLetters(bus, stream, item.entry, { group, consumer: instance, handler: item.handler, error: item.reason, attempts: item.attempts });
        failures.delete(item.entry.id);
        emit({ kind: 'dead-lettered', stream, entryId: item.entry.id, reason: item.reason });
      }
      cursors.set(stream, through);
      await pointGroup(stream, through);
      emit({ kind: 'applied', stream, through, entries: prepared.filter((entry) => compareIds(entry.id, through) <= 0).length });
    }
    if (result.commitError) emit({ kind: 'commit-error', stream, error: result.commitError });
    if (result.conflict !== null) {
      cursors.set(stream, result.conflict);
      emit({ kind: 'conflict', stream, checkpoint: result.conflict });
    }
    if (result.failure) {
      const previous = failures.get(result.failure.entryId)?.count ?? 0;
      failures.set(result.failure.entryId, { count: previous + 1, error: result.failure.error.message });
      const delayMs = backoffDelay(previous + 1, config.backoffBaseMs, config.backoffMaxMs);
      emit({ kind: 'retry', stream, entryId: result.failure.entryId, attempt: previous + 1, delayMs, error: result.failure.error });
      await pause(delayMs);
    }
  }

  async function readBatch(): Promise<Array<[string, StreamEntry[]]>> {
    const reply = await (reader as RedisClient).sendCommand<Array<[string, unknown]> | null>([
      'XREAD', 'COUNT', String(config.batchSize), 'BLOCK', String(config.blockMs),
      'STREAMS', ...streams, ...streams.map((stream) => cursors.get(stream) ?? '0'),
    ]);
    return (reply ?? []).map(([stream, raw]) => [String(stream), parseEntries(raw)]);
  }

  async function run() {
    let failuresInARow = 0;
    while (!stopping) {
      try {
        if (Date.now() >= refreshAt) await loadCursors();
        for (const [stream, entries] of await readBatch()) {
          if (stopping) break;
          if (entries.length > 0) await applyEntries(stream, entries);
        }
        failuresInARow = 0;
      } catch (caught) {
        if (stopping) break;
        emit({ kind: 'loop-error', error: caught instanceof Error ? caught : new Error(String(caught)) });
        failuresInARow++;
        await pause(backoffDelay(failuresInARow, 50, 2_000));
        // The store may have moved on while we failed (another instance): start from what it says.
        refreshAt = 0;
      }
    }
  }

  async function readTips(): Promise<Record<string, string>> {
    const last = await Promise.all(streams.map((stream) => lastEntryId(bus, stream)));
    return Object.fromEntries(streams.map((stream, i) => [stream, last[i] ?? '0']));
  }
  // Callers of tips() want the tips as they are at or after their call (a
  // mail worker, before each of its mails): callers arriving while a read is
  // in flight share the next read, so eight mails in hand make one read, not eight.
  const tips = sharedFreshRead(readTips);

  const self: Projection<Tx> = {
    name,
    group,
    streams,
    on(definition, apply) {
      if (loop) throw new TributaryError('TRIB_CONSUMER_STATE', 'register applies before start()');
      const versions = routes.get(definition.type) ?? new Map<number, Route>();
      versions.set(definition.version, { definition, apply: apply as Route['apply'] });
      routes.set(definition.type, versions);
      if (!streams.includes(definition.stream)) streams.push(definition.stream);
      return self;
    },
    async start() {
      if (loop) throw new TributaryError('TRIB_CONSUMER_STATE', 'already started');
      if (streams.length === 0) throw new TributaryError('TRIB_INVALID_CONFIG', `projection ${name} has no event to apply`);
      await store.open?.();
      await loadCursors();
      // The group's position is not where we read from (the store's
      // checkpoint is); it tells the trimmer what we still need.
      for (const stream of streams) {
        await ensureGroup(bus, stream, group, cursors.get(stream) ?? '0');
        await pointGroup(stream, cursors.get(stream) ?? '0');
      }
      // Its own connection: XREAD BLOCK would stall every other command on a shared one.
      reader = bus.duplicate();
      reader.on('error', (error: Error) => emit({ kind: 'loop-error', error }));
      await reader.connect();
      loop = run();
    },
    close() {
      if (!loop) return Promise.resolve();
      closing ??= (async () => {
        stopping = true;
        wake?.();
        // Cutting the blocking XREAD short loses nothing: reads have no side effect.
        reader?.destroy();
        await loop;
        await store.close?.();
      })();
      return closing;
    },
    async rebuild() {
      if (streams.length === 0) throw new TributaryError('TRIB_INVALID_CONFIG', `projection ${name} has no event to apply`);
      await store.reset(streams);
      for (const stream of streams) {
        await ensureGroup(bus, stream, group, '0');
        await pointGroup(stream, '0');
      }
      failures.clear();
      refreshAt = 0; // the live loop picks up the reset on its next turn
      const positions = await tips();
      emit({ kind: 'rebuilt', positions });
      return positions;
    },
    checkpoints: () => store.checkpoints(streams),
    tips,
    async waitFor(targets, waitOptions = {}) {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 10_000);
      for (;;) {
        const stored = await store.checkpoints(Object.keys(targets));
        if (Object.entries(targets).every(([stream, target]) => compareIds(stored[stream] ?? '0', target) >= 0)) return true;
        if (Date.now() >= deadline || waitOptions.signal?.aborted) return false;
        await new Promise((resolve) => setTimeout(resolve, waitOptions.intervalMs ?? 25));
      }
    },
  };
  if (config.registry) metrics = projectionMetrics(config.registry, self);
  return self;
}

/**
 * Wraps a read so that concurrent callers share it, while each still gets a
 * result read entirely after its own call: a caller arriving while a read is
 * in flight waits for that one to end and shares the read that starts then.
 */
function sharedFreshRead<T>(read: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  const start = (): Promise<T> => {
    const started: Promise<T> = read().finally(() => {
      if (current === started) current = null;
    });
    current = started;
    return started;
  };
  return () => {
    if (!current) return start();
    next ??= current
      .then(() => undefined, () => undefined)
      .then(() => {
        next = null;
        return start();
      });
    return next;
  };
}
