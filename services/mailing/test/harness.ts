import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { createPublisher, type Envelope, type EventData, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { useBusAndStore } from 'tributary/testing/vitest';
import { readEnvelopes, waitFor } from 'tributary/testing';
import { MailSent, OrderCompleted, UserProfileChanged, UserRegistered } from '@tributary/contracts';
import { startMailing, type MailingDeps, type RunningMailing } from '../src/app.ts';
import type { SentMail } from '../src/store/mail-log.ts';

export type TestUser = EventData<typeof UserRegistered>;
type StartOptions = Partial<Pick<MailingDeps, 'instance' | 'consumer' | 'projection' | 'worker' | 'catchUpTimeoutMs' | 'handledTtlSeconds'>>;

export interface MailingTestEnv {
  /** Streams only. */
  bus: RedisClient;
  /** Mailing's own data only: a different server, so nothing can depend on them being one. */
  store: RedisClient;
  accounts: Publisher;
  ordering: Publisher;
  fulfillment: Publisher;
  /** Starts an instance (closed after the test unless closed before; close() may be called twice). */
  start(options?: StartOptions): Promise<RunningMailing>;
  register(user?: Partial<TestUser>): Promise<TestUser>;
  changeProfile(userId: string, changes: EventData<typeof UserProfileChanged>['changes']): Promise<string>;
  completeOrder(userId: string, totalCents?: number): Promise<Envelope<EventData<typeof OrderCompleted>>>;
  mails(instance: RunningMailing, query?: Record<string, string | number>): Promise<SentMail[]>;
  waitForMails(instance: RunningMailing, query: Record<string, string | number>, count: number): Promise<SentMail[]>;
  /** Every MailSent mailing published, in stream order. */
  mailSentEvents(): Promise<Array<Envelope<EventData<typeof MailSent>>>>;
  /** Waits until the recipients copy has applied everything on accounts:events. */
  caughtUp(instance: RunningMailing): Promise<void>;
}

export function useMailing(): MailingTestEnv {
  const redis = useBusAndStore<RunningMailing>();
  const logger = createLogger('mailing', process.env.TEST_LOG ?? 'silent');
  const env = {} as MailingTestEnv;

  beforeAll(() => {
    env.bus = redis.bus;
    env.store = redis.store;
    env.accounts = createPublisher({ redis: env.bus, service: 'accounts' });
    env.ordering = createPublisher({ redis: env.bus, service: 'ordering' });
    env.fulfillment = createPublisher({ redis: env.bus, service: 'fulfillment' });
  });

  env.start = async (options = {}) => {
    const instance = await startMailing({
      bus: env.bus,
      store: env.store,
      logger,
      instance: options.instance ?? `mailing-test-${randomBytes(3).toString('hex')}`,
      consumer: { blockMs: 100, ...options.consumer },
      projection: { blockMs: 100, ...options.projection },
      worker: { blockMs: 50, backoffBaseMs: 20, backoffMaxMs: 100, ...options.worker },
      rebuildWaitMs: 10_000,
      ...(options.catchUpTimeoutMs ? { catchUpTimeoutMs: options.catchUpTimeoutMs } : {}),
      ...(options.handledTtlSeconds ? { handledTtlSeconds: options.handledTtlSeconds } : {}),
    });
    const close = instance.close.bind(instance);
    let closing: Promise<void> | null = null;
    instance.close = () => (closing ??= close());
    return redis.track(instance);
  };

  env.register = async (user = {}) => {
    const full: TestUser = {
      userId: randomUUID(),
      name: 'Ada Lovelace',
      email: `ada-${randomBytes(3).toString('hex')}@example.com`,
      country: 'GB',
      address: '12 Analytical Street, London',
      ...user,
    };
    await env.accounts.publish(UserRegistered, full);
    return full;
  };

  env.changeProfile = (userId, changes) => env.accounts.publish(UserProfileChanged, { userId, changes });

  env.completeOrder = async (userId, totalCents = 4_200) => {
    const event = env.ordering.envelope(OrderCompleted, { orderId: randomUUID(), userId, totalCents });
    await env.ordering.publishEnvelopes([event]);
    return event;
  };

  env.mails = async (instance, query = {}) => {
    const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
    const reply = await instance.app.inject({ method: 'GET', url: `/mails?${search}` });
    if (reply.statusCode !== 200) throw new Error(`GET /mails answered ${reply.statusCode}: ${reply.body}`);
    return (reply.json() as { items: SentMail[] }).items;
  };

  env.waitForMails = (instance, query, count) =>
    waitFor(async () => {
      const mails = await env.mails(instance, query);
      return mails.length >= count ? mails : null;
    }, { timeoutMs: 15_000, description: `${count} mail(s) for ${JSON.stringify(query)}` });

  env.mailSentEvents = async () => (await readEnvelopes(env.bus, MailSent.stream)) as Array<Envelope<EventData<typeof MailSent>>>;

  env.caughtUp = async (instance) => {
    const tips = await instance.recipients.tips();
    if (!(await instance.recipients.waitFor(tips, { timeoutMs: 15_000 }))) throw new Error('recipients projection did not catch up');
  };

  return env;
}
