import { TributaryError } from '../errors.ts';
import { confirmReplicated, replicaWaitOf, type RedisClient } from '../redis/client.ts';
import { activeTraceparent, activeTraceSampled, SpanKind, withSpan } from '../telemetry/tracing.ts';
import { xaddEnvelope } from './commands.ts';
import {
  childTraceparent,
  deriveEventId,
  newEventId,
  newTraceparent,
  type Envelope,
} from './envelope.ts';
import type { EventData, EventDefinition } from './events.ts';
import { streamKeys } from './keys.ts';

export interface PublishOptions {
  /** The event this one answers: sets correlation, causation and trace. */
  causedBy?: Envelope;
  /** Use a deterministic id (e.g. `deriveEventId`) so a re-publish is deduplicated. */
  id?: string;
  correlationId?: string;
  traceparent?: string;
}

export interface Publisher {
  readonly service: string;
  readonly stream: string;
  /** Validates and builds an envelope without writing it (the outbox stores these). */
  envelope<D extends EventDefinition>(definition: D, data: EventData<D>, options?: PublishOptions): Envelope<EventData<D>>;
  publish<D extends EventDefinition>(definition: D, data: EventData<D>, options?: PublishOptions): Promise<string>;
  /** Writes already-built envelopes in one pipelined batch; returns entry ids in order. */
  publishEnvelopes(envelopes: Envelope[]): Promise<string[]>;
  /** False while the bus connection is down (commands would wait in the client's offline queue). */
  isConnected(): boolean;
}

// Events built in one burst share their millisecond: one ISO string for them all.
let clockMs = -1;
let clockIso = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== clockMs) {
    clockMs = now;
    clockIso = new Date(now).toISOString();
  }
  return clockIso;
}

export function createPublisher(options: {
  redis: RedisClient;
  service: string;
  /** Another stream the service owns (e.g. `lending:requests`); default `<service>:events`. */
  stream?: string;
  /**
   * WAIT for this many replicas after each batch (default: what the
   * connection was made with, `ConnectOptions.waitForReplicas`, which
   * services take from BUS_REDIS_WAIT_REPLICAS; off otherwise). Redis
   * replicates asynchronously, so without it an event the primary
   * acknowledged can vanish in a Sentinel failover; with it, publish()
   * resolves only once `count` replicas hold the event, and rejects with
   * TRIB_NOT_REPLICATED when they don't within `timeoutMs`: the event may
   * still exist, so the caller retries it with the same id. It narrows the
   * window, it does not close it (WAIT is not a consensus protocol), and costs
   * a round trip to the replicas per batch.
   */
  waitForReplicas?: { count: number; timeoutMs: number };
}): Publisher {
  const { redis, service } = options;
  // The connection's own (BUS_REDIS_WAIT_REPLICAS) unless this publisher says otherwise.
  const waitForReplicas = options.waitForReplicas ?? replicaWaitOf(redis);
  const stream = options.stream ?? streamKeys.events(service);

  function envelope<D extends EventDefinition>(definition: D, data: EventData<D>, publishOptions: PublishOptions = {}) {
    if (definition.source !== service) {
      throw new TributaryError('TRIB_FOREIGN_STREAM', `${service} cannot publish ${definition.type} of ${definition.source}`);
    }
    if (definition.stream !== stream) {
      throw new TributaryError('TRIB_FOREIGN_STREAM', `${definition.type} belongs on ${definition.stream}, this publisher writes ${stream}`);
    }
    const problem = definition.validate(data);
    if (problem) throw new TributaryError('TRIB_INVALID_EVENT', `${definition.type}: ${problem}`);
    const cause = publishOptions.causedBy;
    const id = publishOptions.id ?? (cause ? deriveEventId(cause.id, definition.type) : newEventId());
    return {
      id,
      type: definition.type,
      version: definition.version,
      time: isoNow(),
      source: service,
      correlationId: publishOptions.correlationId ?? cause?.correlationId ?? id,
      causationId: cause?.id ?? null,
      // The active span (an HTTP request, a handler) when tracing is on, so
      // the consumer's span joins the same trace; else the kit's own ids.
      traceparent: publishOptions.traceparent ?? activeTraceparent() ?? (cause ? childTraceparent(cause.traceparent) : newTraceparent()),
      data,
    };
  }

  async function publishEnvelopes(envelopes: Envelope[]): Promise<string[]> {
    for (const item of envelopes) {
      if (item.source !== service) throw new TributaryError('TRIB_FOREIGN_STREAM', `${service} cannot publish for ${item.source}`);
    }
    // Commands issued in the same tick are pipelined by node-redis: one round trip per batch.
    const write = async () => {
      const ids = await Promise.all(envelopes.map((item) => xaddEnvelope(redis, stream, item)));
      await confirmReplicated(redis, `${envelopes.length} event(s) on ${stream}`, { wait: waitForReplicas, key: stream });
      return ids;
    };
    if (!activeTraceSampled()) return write();
    return withSpan(
      `XADD ${stream}`,
      { kind: SpanKind.PRODUCER, attributes: { 'db.system.name': 'redis', 'messaging.destination.name': stream, 'messaging.batch.message_count': envelopes.length } },
      write,
    );
  }

  return {
    service,
    stream,
    envelope,
    publishEnvelopes,
    isConnected: () => redis.isReady,
    async publish(definition, data, publishOptions) {
      const [entryId] = await publishEnvelopes([envelope(definition, data, publishOptions)]);
      return entryId as string;
    },
  };
}
