import { createPublisher, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import { LendingRequested, LENDING_REQUESTS_STREAM, ReturnRequested } from '@tributary/contracts';
import type { StepHook } from './domain/steps.ts';
import { lendHandler } from './handlers/lend.ts';
import { returnHandler } from './handlers/return.ts';
import { holdingRoutes } from './routes/holdings.ts';
import { requestRoutes } from './routes/requests.ts';
import type { LendingSettings } from './settings.ts';
import { startReleaser } from './release.ts';
import { createShelvingClient } from './shelving-client.ts';
import { GROUP, SERVICE } from './store/keys.ts';
import { adoptLegacyLayout } from './store/legacy.ts';
import { createLendingStore, type LendingStore } from './store/lending.ts';

export { SERVICE };

export interface LendingDeps {
  /**
   * The bus Redis, for everything: the request stream, lending's state and
   * `lending:events` must be in one server, because the ack, the state
   * change and the outcome event commit in one script.
   */
  bus: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  settings: LendingSettings;
  /** Consumer tuning over what the settings imply (tests shorten blockMs). */
  consumer?: ConsumerTuning;
  /** Called at each step of src/domain/steps.ts: the crash hook, or a test's probe. */
  onStep?: StepHook;
}

export interface LendingService {
  app: HttpApp;
  store: LendingStore;
  /** Gives back the books of requests dead-lettered longer than LENDING_RELEASE_AFTER_MS (release.ts). */
  releaser: { runOnce(): Promise<number> };
  close(): Promise<void>;
}

/** Builds and starts lending without listening: main.ts listens, tests use inject() or listen on port 0. */
export async function startLending(deps: LendingDeps): Promise<LendingService> {
  const { settings } = deps;
  // Before anything reads lending's state: the keys of the layout before Redis Cluster support move to their new names.
  const adopted = await adoptLegacyLayout(deps.bus);
  if (adopted > 0) deps.logger.info({ adopted }, 'moved lending keys to their names since Redis Cluster support');
  const store = createLendingStore({
    redis: deps.bus,
    maxBooksPerUser: settings.maxBooksPerUser,
    storageCapacity: settings.storageCapacity,
    outcomeTtlSeconds: settings.outcomeTtlSeconds,
  });
  const shelving = createShelvingClient({
    baseUrl: settings.shelvingUrl,
    ...(settings.shelvingUrls ? { instanceUrls: settings.shelvingUrls } : {}),
    attempts: settings.shelvingAttempts,
    backoffMs: settings.shelvingBackoffMs,
    timeoutMs: settings.shelvingTimeoutMs,
  });
  const requests = createPublisher({ redis: deps.bus, service: SERVICE, stream: LENDING_REQUESTS_STREAM });
  const step: StepHook = deps.onStep ?? (() => undefined);

  const { app, consumers, start } = createServiceShell({
    service: SERVICE,
    group: GROUP,
    bus: deps.bus,
    logger: deps.logger,
    instance: deps.instance,
    tuning: {
      claimIdleMs: settings.claimIdleMs,
      // The kit requires retries to come back before another instance would claim the entry.
      backoffMaxMs: Math.min(5_000, Math.floor(settings.claimIdleMs / 2)),
      ...deps.consumer,
    },
  });
  // One consumer: it runs handlers one at a time, in stream order, which the
  // store's single WATCH connection relies on.
  consumers
    .consumer(LENDING_REQUESTS_STREAM)
    .on(LendingRequested, lendHandler({ store, shelving, logger: deps.logger, step }))
    .on(ReturnRequested, returnHandler({ store, logger: deps.logger, step }));

  await app.register(requestRoutes({ redis: deps.bus, requests, store, group: GROUP }));
  await app.register(holdingRoutes({ store, storageCapacity: settings.storageCapacity }));
  const started = await start(['http', { start: () => store.open(), close: () => store.close() }, 'consumers']);
  const releaser = startReleaser({ redis: deps.bus, store, group: GROUP, logger: deps.logger, releaseAfterMs: settings.releaseAfterMs, registry: app.metricsRegistry });
  return {
    ...started,
    store,
    releaser,
    // The releaser, then the consumer (it finishes the request in hand), the WATCH connection and HTTP; the bus belongs to the caller.
    async close() {
      await releaser.close();
      await started.close();
    },
  };
}
