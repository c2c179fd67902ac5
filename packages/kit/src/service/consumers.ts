import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { compareIds, groupsOf, nextId, oldestPending } from '../streams/commands.ts';
import { createConsumer, type Consumer, type ConsumerOptions, type ConsumerReport } from '../streams/consumer.ts';
import { consumerMetrics } from '../telemetry/consumer-metrics.ts';

export type ConsumerTuning = Partial<Omit<ConsumerOptions, 'redis' | 'stream' | 'group' | 'consumer' | 'onReport'>>;

export interface ServiceConsumersOptions {
  bus: RedisClient;
  /** The service's group: every instance of the service shares its work. */
  group: string;
  /** Stable per instance (TRIBUTARY_INSTANCE), so a restart finishes its own pending entries. */
  instance: string;
  logger: Logger;
  /** The registry behind the service's /metrics. */
  registry: Registry;
  tuning?: ConsumerTuning;
}

export interface ServiceConsumers {
  /** A consumer of `stream` in the service's group, with metrics and logs wired; add handlers with on(). */
  consumer(stream: string, tuning?: ConsumerTuning): Consumer;
  /** Starts every consumer made so far; if one cannot start, closes those that did and throws. */
  startAll(): Promise<void>;
  /** Lets in-flight handlers finish, then stops every consumer. */
  closeAll(): Promise<void>;
  /**
   * The time (ms) of the oldest entry the service's group may still be
   * delivered on any of its streams (pending, or not read yet); null when
   * every stream is read and acked to its end. A handled marker written
   * before it belongs to an acked entry and can only be needed again if the
   * event is published anew (see docs/operations.md).
   */
  unsettledSince(): Promise<number | null>;
}

/** The oldest entry of `stream` that `group` may still be delivered, as its id's ms; null when none. */
export async function unsettledSinceOf(redis: RedisClient, stream: string, group: string): Promise<number | null> {
  const info = (await groupsOf(redis, stream)).find((candidate) => candidate.name === group);
  if (!info) return null;
  let keep: string | null = info.lag === 0 ? null : nextId(info.lastDeliveredId);
  if (info.pending > 0) {
    const pending = await oldestPending(redis, stream, group);
    if (pending && (keep === null || compareIds(pending, keep) < 0)) keep = pending;
  }
  return keep === null ? null : Number(keep.split('-')[0]);
}

/** What every service logs about its consumers, besides the metrics. */
export function logConsumerReport(logger: Logger, stream: string, report: ConsumerReport): void {
  if (report.kind === 'retry') {
    logger.warn({ stream, entryId: report.entryId, type: report.type, attempt: report.attempt, delayMs: report.delayMs, err: report.error }, 'handler failed, will retry');
  } else if (report.kind === 'dead-lettered') {
    logger.warn({ stream, entryId: report.entryId, type: report.type, reason: report.reason }, 'entry dead-lettered');
  } else if (report.kind === 'loop-error') {
    logger.warn({ stream, err: report.error }, 'consumer loop error');
  }
}

/**
 * The consumers of one service: one per stream it listens to, all in its
 * group, named after the instance, reporting to its metrics and logs.
 */
export function createServiceConsumers(options: ServiceConsumersOptions): ServiceConsumers {
  const consumers: Consumer[] = [];
  const started: Consumer[] = [];
  const streams: string[] = [];
  return {
    consumer(stream, tuning) {
      streams.push(stream);
      const metrics = consumerMetrics(options.registry, { stream, group: options.group });
      const consumer = createConsumer({
        ...options.tuning,
        ...tuning,
        redis: options.bus,
        stream,
        group: options.group,
        consumer: options.instance,
        registry: options.registry,
        onReport: (report) => {
          metrics(report);
          logConsumerReport(options.logger, stream, report);
        },
      });
      consumers.push(consumer);
      return consumer;
    },
    async startAll() {
      try {
        for (const consumer of consumers) {
          if (started.includes(consumer)) continue;
          await consumer.start();
          started.push(consumer);
        }
      } catch (error) {
        await Promise.all(started.map((consumer) => consumer.close()));
        throw error;
      }
    },
    async closeAll() {
      await Promise.all(consumers.map((consumer) => consumer.close()));
    },
    async unsettledSince() {
      let oldest: number | null = null;
      for (const stream of new Set(streams)) {
        const since = await unsettledSinceOf(options.bus, stream, options.group);
        if (since !== null && (oldest === null || since < oldest)) oldest = since;
      }
      return oldest;
    },
  };
}
