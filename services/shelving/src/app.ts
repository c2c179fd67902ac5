import { streamKeys, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import { BooksSentToShelving, RequestRejected } from '@tributary/contracts';
import { booksSentHandler } from './handlers/books-sent.ts';
import { requestRejectedHandler } from './handlers/request-rejected.ts';
import { bookRoutes } from './routes/books.ts';
import { SERVICE } from './store/keys.ts';
import { createShelvesStore } from './store/shelves.ts';

export { SERVICE };

export interface ShelvingDeps {
  /** TTL of its handled-event markers (HANDLED_MARKER_RETENTION_MS in seconds, see docs/operations.md); default 7 days. */
  handledTtlSeconds?: number;

  /** The bus Redis: lending's events stream, read by the `shelving` group. */
  bus: RedisClient;
  /** Shelving's own Redis: which books are handed out. */
  store: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  consumer?: ConsumerTuning;
}

export interface ShelvingService {
  app: HttpApp;
  close(): Promise<void>;
}

/** Builds and starts shelving without listening: main.ts listens, tests use inject() or listen on port 0. */
export async function startShelving(deps: ShelvingDeps): Promise<ShelvingService> {
  const shelves = createShelvesStore(deps.store, deps.handledTtlSeconds);
  const { app, consumers, start } = createServiceShell({ service: SERVICE, bus: deps.bus, store: deps.store, logger: deps.logger, instance: deps.instance, tuning: deps.consumer });
  consumers
    .consumer(streamKeys.events('lending'))
    .on(BooksSentToShelving, booksSentHandler({ shelves, logger: deps.logger }))
    .on(RequestRejected, requestRejectedHandler({ shelves, logger: deps.logger }));

  await app.register(bookRoutes({ shelves }));
  // Closed the other way round: consumers first (they finish the in-flight event), then HTTP; connections belong to the caller.
  return start(['http', 'consumers']);
}
