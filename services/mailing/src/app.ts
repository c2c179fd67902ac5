import { randomBytes } from 'node:crypto';
import { BACKGROUND_LINGER_MS, streamKeys, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import { createWorker, queueMetrics, type WorkerOptions, type Worker } from 'tributary/queue';
import type { ProjectionReport } from 'tributary/projection';
import { OrderBlocked, OrderCompleted, OrderFailed, OrderShipped } from '@tributary/contracts';
import type { MailJob } from './domain/mail-job.ts';
import { orderCompletedHandler, orderFailedHandler, orderShippedHandler } from './handlers/order-mails.ts';
import { createRecipientsProjection, type ProjectionTuning, type RecipientsProjection } from './handlers/recipients-projection.ts';
import { sendMailHandler } from './handlers/send-mail.ts';
import { mailRoutes } from './routes/mails.ts';
import { recipientRoutes } from './routes/recipients.ts';
import { SERVICE } from './store/keys.ts';
import { createMailLog, mailLogDefaults, type MailLogLimits } from './store/mail-log.ts';
import { createMailQueue, type MailQueue } from './store/mail-queue.ts';
import { createRecipientStore } from './store/recipient-store.ts';

export type { ConsumerTuning };
export type WorkerTuning = Partial<Pick<WorkerOptions<typeof MailJob>, 'blockMs' | 'heartbeatTtlMs' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'sweepIntervalMs' | 'concurrency'>>;

export interface MailingDeps {
  /** The bus Redis: streams only. */
  bus: RedisClient;
  /** The service's own Redis: recipients, the mail queue, the mail log. */
  store: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  consumer?: ConsumerTuning;
  projection?: ProjectionTuning;
  worker?: WorkerTuning;
  mailLog?: Partial<MailLogLimits>;
  /** How long one mail job waits for the recipients copy to catch up before it is retried. */
  catchUpTimeoutMs?: number;
  /** How long POST /projections/recipients/rebuild waits for the replay before answering. */
  rebuildWaitMs?: number;
  /** How long a mail's id is remembered, so a redelivered event mails once (HANDLED_MARKER_RETENTION_MS in seconds, see docs/operations.md); default 7 days. */
  handledTtlSeconds?: number;
}

export interface RunningMailing {
  app: HttpApp;
  recipients: RecipientsProjection;
  queue: MailQueue;
  close(): Promise<void>;
}

/**
 * A catch-up after a long outage can take a while; the worker's attempts
 * are spaced so that about two minutes pass before a mail is given up.
 */
// Eight mails at once: one at a time, the worker sent fewer mails than the shop makes at 100 orders/s (docs/benchmarks.md, Memory).
export const mailWorkerDefaults = { maxAttempts: 8, backoffBaseMs: 500, backoffMaxMs: 30_000, concurrency: 8 } satisfies WorkerTuning;

export async function startMailing(deps: MailingDeps): Promise<RunningMailing> {
  const { logger } = deps;
  const { app, consumers, publisher, start } = createServiceShell({
    service: SERVICE,
    bus: deps.bus,
    store: deps.store,
    logger,
    instance: deps.instance,
    // A mailing deployed into a running shop must not mail every order in
    // the streams' history: its groups start at the tip when first created.
    // Once created, a group keeps its place, so downtime loses nothing.
    // Mail may leave a few tens of milliseconds later: several events per read.
    tuning: { startFrom: '$', lingerMs: BACKGROUND_LINGER_MS, ...deps.consumer },
  });
  const registry = app.metricsRegistry;

  const mailLog = createMailLog(deps.store, { ...mailLogDefaults, ...deps.mailLog });
  const recipientStore = createRecipientStore(deps.store);
  const queue = createMailQueue(deps.store, deps.handledTtlSeconds === undefined ? undefined : deps.handledTtlSeconds * 1000);
  const recipients = createRecipientsProjection({
    bus: deps.bus,
    store: deps.store,
    instance: deps.instance,
    registry,
    ...(deps.projection ? { tuning: deps.projection } : {}),
    onReport: (report: ProjectionReport) => {
      if (report.kind === 'retry') logger.warn({ stream: report.stream, entryId: report.entryId, attempt: report.attempt, err: report.error }, 'recipients projection: apply failed, will retry');
      else if (report.kind === 'dead-lettered') logger.warn({ stream: report.stream, entryId: report.entryId, reason: report.reason }, 'recipients projection: entry dead-lettered');
      else if (report.kind === 'commit-error' || report.kind === 'loop-error') logger.warn({ err: report.error }, `recipients projection: ${report.kind}`);
      else if (report.kind === 'rebuilt') logger.info({ positions: report.positions }, 'recipients projection: rebuild started');
    },
  });

  consumers
    .consumer(streamKeys.events('ordering'))
    .onBatch(OrderCompleted, orderCompletedHandler(queue))
    .onBatch(OrderFailed, orderFailedHandler(queue))
    .onBatch(OrderBlocked, orderFailedHandler(queue));
  consumers.consumer(streamKeys.events('fulfillment')).onBatch(OrderShipped, orderShippedHandler(queue));

  const queueReport = queueMetrics(registry, queue);
  const worker: Worker = createWorker({
    ...mailWorkerDefaults,
    ...deps.worker,
    queue,
    registry,
    // A nonce: a restarted instance must not wait for its previous heartbeat to expire (the sweep returns that one's mail).
    workerId: `${deps.instance}-mail-${randomBytes(3).toString('hex')}`,
    handler: sendMailHandler({ recipients, recipientStore, mailLog, publisher, catchUpTimeoutMs: deps.catchUpTimeoutMs ?? 5_000 }),
    onReport: (report) => {
      queueReport(report);
      if (report.kind === 'retry') logger.warn({ mailId: report.id, attempt: report.attempt, delayMs: report.delayMs, err: report.error }, 'mail not sent yet, will retry');
      else if (report.kind === 'dead') logger.warn({ mailId: report.id, attempt: report.attempt, reason: report.reason }, 'mail given up (dead list)');
      else if (report.kind === 'loop-error') logger.warn({ err: report.error }, 'mail worker loop error');
      else if (report.kind === 'recovered') logger.info({ count: report.count }, 'mail jobs of a dead worker given back');
    },
  });

  await app.register(mailRoutes({ mailLog, recipientStore }));
  await app.register(recipientRoutes({ recipientStore, recipients, rebuildWaitMs: deps.rebuildWaitMs ?? 10_000 }));
  // The projection first: mails wait for it anyway. Closed the other way round: producers of work
  // first, then the worker (finishes its mail), then the projection; connections belong to the caller.
  return { ...(await start(['http', recipients, worker, 'consumers'])), recipients, queue };
}
