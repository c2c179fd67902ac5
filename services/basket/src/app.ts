import { BACKGROUND_LINGER_MS, streamKeys, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import { OrderPlaced, ProductChanged, ProductCreated, UserRegistered } from '@tributary/contracts';
import { userRegisteredHandler } from './handlers/accounts-events.ts';
import { productChangedHandler, productCreatedHandler } from './handlers/catalog-events.ts';
import { createCheckout } from './handlers/checkout.ts';
import { orderPlacedHandler } from './handlers/order-placed.ts';
import { checkoutPublisher } from './handlers/publish-checkout.ts';
import { createCheckoutSweep, sweepDefaults, type CheckoutSweep, type SweepOptions } from './handlers/sweep.ts';
import { basketRoutes } from './routes/baskets.ts';
import { createBasketStore } from './store/basket-store.ts';
import { SERVICE } from './store/keys.ts';
import { createProductStore } from './store/product-store.ts';
import { createUserStore } from './store/user-store.ts';
import { readBasketSettings } from './settings.ts';

export type { ConsumerTuning };

/** A basket left alone this long disappears (BASKET_TTL_SECONDS). */
export const DEFAULT_BASKET_TTL_SECONDS = readBasketSettings({}).ttlSeconds;

export interface BasketDeps {
  /** TTL of its handled-event markers (HANDLED_MARKER_RETENTION_MS in seconds, see docs/operations.md); default 7 days. */
  handledTtlSeconds?: number;

  /** The bus Redis: streams only. */
  bus: RedisClient;
  /** The service's own Redis: baskets, product and user copies, pending checkouts. */
  store: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  ttlSeconds?: number;
  sweep?: Partial<SweepOptions>;
  consumer?: ConsumerTuning;
}

export interface BasketService {
  app: HttpApp;
  sweep: CheckoutSweep;
  close(): Promise<void>;
}

export async function startBasket(deps: BasketDeps): Promise<BasketService> {
  const group = SERVICE;
  const ttlSeconds = deps.ttlSeconds ?? DEFAULT_BASKET_TTL_SECONDS;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`basket TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
  const sweepOptions: SweepOptions = { ...sweepDefaults, ...deps.sweep };
  const basket = createBasketStore(deps.store, { ttlSeconds });
  const products = createProductStore(deps.store, deps.handledTtlSeconds);
  const users = createUserStore(deps.store);
  const { app, consumers, publisher, start } = createServiceShell({ service: SERVICE, bus: deps.bus, store: deps.store, logger: deps.logger, instance: deps.instance, tuning: deps.consumer });
  const publish = checkoutPublisher({ publisher, bus: deps.bus });
  const checkout = createCheckout({ basket, products, publish, timing: sweepOptions, logger: deps.logger });
  const sweep = createCheckoutSweep({ basket, publish, logger: deps.logger, options: sweepOptions, registry: app.metricsRegistry });
  consumers
    .consumer(streamKeys.events('catalog'))
    .on(ProductCreated, productCreatedHandler({ products, group }))
    .on(ProductChanged, productChangedHandler({ products, group }));
  // Emptying a basket after its order is placed is off the order's latency path: a few events per read.
  // Keyed by user: each completion touches only that user's basket and checkout, so different users'
  // run at once (their scripts go out in one pipeline) and one user's stay in stream order.
  consumers
    .consumer(streamKeys.events('ordering'), { lingerMs: BACKGROUND_LINGER_MS, ...deps.consumer })
    .on(OrderPlaced, orderPlacedHandler({ basket }), { key: (event) => event.data.userId });
  consumers.consumer(streamKeys.events('accounts')).on(UserRegistered, userRegisteredHandler({ users }));
  await app.register(basketRoutes({ basket, products, users, checkout }));
  // The sweep's start-up round finds checkouts a previous process recorded but never published.
  // Closed the other way round: sweep and consumers first (they finish in-flight work), then HTTP; connections belong to the caller.
  return { ...(await start(['http', 'consumers', sweep])), sweep };
}
