import { LendingRequested } from '@tributary/contracts';
import { CreateUserBody, PatchUserBody } from '@tributary/accounts/src/contracts.ts';
import { SetItemBody } from '@tributary/basket/src/contracts.ts';
import { CreateProductBody, ListQuery, PatchProductBody } from '@tributary/catalog/src/contracts.ts';
import { ArchiveBody } from '@tributary/delivery-history/src/contracts.ts';
import { NewOrderBody } from '@tributary/ordering/src/contracts.ts';
import { Type, type TSchema } from 'tributary';
import { ERROR_SCHEMA_TITLE } from '../error-codes.ts';

/**
 * Public API schemas. Services validate again; the gateway rejects early with
 * the same rules. What it forwards as a body or query is the owning service's
 * own schema (each service's src/contracts.ts), never a copy that can drift;
 * services/gateway/test/contracts.test.ts checks the OpenAPI document against the services.
 */
export const NewUser = CreateUserBody;
export const UserPatch = PatchUserBody;
export const NewProduct = CreateProductBody;
export const ProductPatch = PatchProductBody;
export const ProductQuery = ListQuery;
export const NewOrder = NewOrderBody;
export const BasketItemUpdate = SetItemBody;
export const ArchiveRequest = ArchiveBody;
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' });
export const Cents = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'integer cents' });
/** Every error answer; docs/openapi.json points it (by its title) at components.schemas.Error, whose `error` is an ErrorCode. */
export const ErrorReply = Type.Object({ error: Type.String(), message: Type.String() }, { title: ERROR_SCHEMA_TITLE, description: 'error' });
export const IdParams = Type.Object({ id: Id });

/** Long-poll of GET /api/orders/:id: at most 20 s, so a proxy's idle timeout is not in the way. */
export const OrderWaitQuery = Type.Object(
  { waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 20_000, description: 'answer once the order is final, or after this many ms with its status then' })) },
);

export const User = Type.Object({
  id: Id,
  name: Type.String(),
  email: Type.String(),
  country: Country,
  address: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});
export const Account = Type.Object({ userId: Id, availableCents: Cents, reservedCents: Cents, spentCents: Cents });

export const Product = Type.Object({
  id: Id,
  sku: Type.String(),
  name: Type.String(),
  priceCents: Cents,
  bannedCountries: Type.Array(Country),
  digital: Type.Boolean({ description: 'an e-book and the like: no stock, not shipped, mailed' }),
  createdAt: Type.String(),
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'a repeated POST with the same key (same client, same route, same body) gets the first answer again; use a fresh UUID per intended action',
    }),
  ),
});
export const OrderAccepted = Type.Object({ orderId: Id, status: Type.String() });
export const Order = Type.Object({
  id: Id,
  userId: Id,
  totalCents: Cents,
  customerName: Type.Union([Type.String(), Type.Null()], { description: "ordering's copy of the customer's current name" }),
  deliveryId: Type.Union([Type.String(), Type.Null()], { description: 'the drone delivery, once it exists (GET /api/deliveries/:id)' }),
  status: Type.String(),
  items: Type.Array(Type.Object({ productId: Id, quantity: Type.Integer(), unitPriceCents: Cents })),
  failureReason: Type.Union([Type.String(), Type.Null()]),
  history: Type.Array(Type.Object({ status: Type.String(), at: Type.String() })),
  createdAt: Type.String(),
});
export const FailureCounts = Type.Object({
  counts: Type.Record(Type.String(), Type.Integer()),
  total: Type.Integer(),
  recent: Type.Array(Type.Object({ orderId: Id, reason: Type.String(), at: Type.String() })),
});

/** order-monitoring's GET /regions: its region, and how far it is behind each other region (or why it could not ask). */
export const RegionsStatus = Type.Object({
  region: Type.Union([Type.String(), Type.Null()]),
  replication: Type.Array(
    Type.Union([
      Type.Object({ source: Type.String(), target: Type.String(), cursor: Type.String(), pending: Type.Integer({ minimum: 0 }), oldestPendingMs: Type.Integer({ minimum: 0 }) }),
      Type.Object({ source: Type.String(), target: Type.String(), unreachable: Type.String() }),
    ]),
  ),
});

export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' });
export const SessionLogin = Type.Object({ email: Email }, { additionalProperties: false });
export const SessionUserReply = Type.Object({ userId: Id, name: Type.String(), email: Type.String() });

export const BasketItemParams = Type.Object({ userId: Id, productId: Id });
export const UserIdParams = Type.Object({ userId: Id });
export const Basket = Type.Object({
  userId: Id,
  items: Type.Array(
    Type.Object({ productId: Id, name: Type.String(), quantity: Type.Integer(), unitPriceCents: Cents, lineTotalCents: Cents }),
  ),
  totalCents: Cents,
  checkout: Type.Union([Type.Object({ orderId: Id }), Type.Null()], { description: 'the pending checkout, if any' }),
});
export const CheckoutAccepted = Type.Object({ orderId: Id });

export const Limit = (maximum: number, fallback: number) => Type.Integer({ minimum: 1, maximum, default: fallback });
export const Mail = Type.Object({
  mailId: Id,
  userId: Id,
  orderId: Type.Union([Id, Type.Null()]),
  kind: Type.String({ description: 'ORDER_COMPLETED | ORDER_FAILED | EBOOK_DELIVERY' }),
  to: Type.Object({ name: Type.String(), email: Type.String(), address: Type.Union([Type.String(), Type.Null()]) }),
  subject: Type.String(),
  body: Type.String(),
  sentAt: Type.String(),
});
export const MailList = Type.Object({ items: Type.Array(Mail) }, { description: 'newest first' });
export const UserMailsQuery = Type.Object({ limit: Type.Optional(Limit(100, 20)) }, { additionalProperties: false });
export const MailsQuery = Type.Object(
  { userId: Type.Optional(Id), orderId: Type.Optional(Id), limit: Type.Optional(Limit(100, 20)) },
  { additionalProperties: false },
);
export const RebuildResult = Type.Object({
  rebuilt: Type.Boolean(),
  position: Type.Union([Type.String(), Type.Null()], { description: 'the last stream entry the rebuilt projection applied' }),
});

export const Board = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$', description: 'best-sellers | top-spenders' });
export const LeaderboardParams = Type.Object({ board: Board });
export const LeaderboardMemberParams = Type.Object({ board: Board, member: Id });
export const LeaderboardQuery = Type.Object({ limit: Type.Optional(Limit(100, 10)) }, { additionalProperties: false });
export const LeaderboardEntry = Type.Object({ member: Type.String(), score: Type.Number(), rank: Type.Integer({ minimum: 1 }) });
export const Leaderboard = Type.Object({ board: Type.String(), items: Type.Array(LeaderboardEntry) });

export const StreamName = Type.String({ pattern: '^[a-z][a-z0-9-]*:events$', description: "a service's event stream, `<service>:events`" });
export const EntryId = Type.String({ pattern: '^[0-9]+-[0-9]+$', description: 'a stream entry id' });
export const DeadLetterQuery = Type.Object(
  { stream: StreamName, limit: Type.Optional(Limit(1_000, 100)), after: Type.Optional(EntryId) },
  { additionalProperties: false },
);
export const DeadLetter = Type.Object({
  id: EntryId,
  stream: Type.String(),
  originalId: Type.String(),
  group: Type.String(),
  consumer: Type.String(),
  handler: Type.String(),
  error: Type.String(),
  attempts: Type.Integer(),
  at: Type.String(),
  fields: Type.Record(Type.String(), Type.String(), { description: 'the original entry, as published' }),
});
export const DeadLetterList = Type.Object({
  stream: Type.String(),
  count: Type.Integer({ description: 'dead letters in the stream in all' }),
  items: Type.Array(DeadLetter),
});
export const ReplayRequest = Type.Object(
  {
    stream: StreamName,
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'only letters this group failed' })),
    ids: Type.Optional(Type.Array(EntryId, { minItems: 1, maxItems: 1_000, uniqueItems: true, description: 'dead-letter ids; all when absent' })),
  },
  { additionalProperties: false },
);
export const ReplayResult = Type.Object({
  replayed: Type.Integer(),
  ids: Type.Array(Type.String(), { description: 'ids of the new entries on the stream' }),
});

// --- drone delivery -----------------------------------------------------------------------------

const Point = Type.Object({ lat: Type.Number(), lon: Type.Number() });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (UTC)' });
const Step = Type.Object({ status: Type.String(), at: Type.String() });

export const PackageView = Type.Object({
  packageId: Id,
  orderId: Id,
  userId: Id,
  size: Type.String(),
  weightGrams: Type.Integer(),
  tags: Type.Array(Type.String()),
  items: Type.Array(Type.Object({ productId: Id, quantity: Type.Integer() })),
  pickup: Point,
  dropoff: Point,
  createdAt: Type.String(),
});
export const PackagesQuery = Type.Object({
  tag: Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9-]+$' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  after: Type.Optional(Id),
});
export const PackageList = Type.Object({ items: Type.Array(PackageView), next: Type.Union([Type.String(), Type.Null()]) });

export const DeliveryView = Type.Object({
  deliveryId: Id,
  packageId: Id,
  orderId: Id,
  status: Type.String(),
  droneId: Type.Union([Type.String(), Type.Null()]),
  position: Type.Union([Point, Type.Null()]),
  batteryPct: Type.Union([Type.Number(), Type.Null()]),
  etaSeconds: Type.Union([Type.Number(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
  steps: Type.Array(Step),
});
export const DronesQuery = Type.Object({
  lat: Type.Optional(Type.Number({ minimum: -85, maximum: 85 })),
  lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  radiusKm: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
});
export const DroneList = Type.Object({
  items: Type.Array(Type.Object({ droneId: Type.String(), deliveryId: Type.String(), position: Point, distanceKm: Type.Number() })),
});
export const DroneQueue = Type.Object({
  waiting: Type.Integer({ minimum: 0 }),
  oldestWaitSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  waitLimitSeconds: Type.Number({ minimum: 0 }),
});
export const DeliveryHistory = Type.Object({
  deliveryId: Id,
  packageId: Id,
  orderId: Id,
  status: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  steps: Type.Array(Step),
  startedAt: Type.String(),
  finishedAt: Type.String(),
  durationSeconds: Type.Number(),
  source: Type.Union([Type.Literal('lookup'), Type.Literal('lake')]),
});
export const AnalyticsQuery = Type.Object({ from: Day, to: Day });
export const DeliveryAnalytics = Type.Object({
  from: Type.String(),
  to: Type.String(),
  days: Type.Array(Type.Object({ day: Type.String(), delivered: Type.Integer(), failed: Type.Integer(), avgDurationSeconds: Type.Union([Type.Number(), Type.Null()]) })),
  totals: Type.Object({ delivered: Type.Integer(), failed: Type.Integer(), failureRate: Type.Union([Type.Number(), Type.Null()]) }),
  failuresByReason: Type.Record(Type.String(), Type.Integer()),
});
export const ArchiveResult = Type.Object({ archived: Type.Integer(), cutoff: Type.String() });

export const StuckOrdersQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false });
export const StuckOrders = Type.Object({
  stuckAfterMs: Type.Integer({ description: 'ORDER_STUCK_AFTER_MS: an open order unchanged this long is stuck' }),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'stuck orders per open status' }),
  items: Type.Array(Type.Object({ id: Id, userId: Id, status: Type.String(), totalCents: Cents, updatedAt: Type.String() }), { description: 'the longest stuck first' }),
});
export const StuckOrderResolved = Type.Object({ orderId: Id, status: Type.String() });

// --- lending library ----------------------------------------------------------------------------

/**
 * A lending or return request: the contract's payload (one schema for both, as
 * LendingRequested and ReturnRequested share it), closed to unknown fields here.
 */
export const LendingBody = Type.Object(LendingRequested.schema.properties, { additionalProperties: false });
/** A request id is its entry id on lending:requests, `<ms>-<seq>` (bounded as lending bounds it). */
const LendingRequestId = Type.String({ pattern: '^[0-9]{1,20}-[0-9]{1,20}$', maxLength: 41, description: 'the entry id on lending:requests' });
export const LendingRequestParams = Type.Object({ id: LendingRequestId });
export const LendingSubmitted = Type.Object({ requestId: Type.String({ description: 'the entry id on lending:requests; poll GET /api/lending/requests/{id}' }) });
const BookIdList = Type.Array(Type.String());
export const LendingRequestStatus = Type.Object({
  requestId: Type.String(),
  kind: Type.String({ description: 'lend | return | unknown (an entry dead-lettered before it could be read)' }),
  status: Type.String({ description: 'PENDING | ACCEPTED | REJECTED | PROCESSED | DEAD_LETTERED' }),
  userId: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String({ description: 'why a request was REJECTED: LIMIT_EXCEEDED | NONE_AVAILABLE | SHELVING_UNAVAILABLE | HANDLING_FAILED' })),
  bookIds: Type.Optional(Type.Array(Type.String(), { description: 'ACCEPTED: the books lent; REJECTED: the books asked for' })),
  unavailableBookIds: Type.Optional(Type.Array(Type.String(), { description: 'ACCEPTED: asked for but lent or not on a shelf' })),
  bookIdsAtFault: Type.Optional(Type.Array(Type.String(), { description: 'REJECTED: the books that caused it' })),
  returnedBookIds: Type.Optional(BookIdList),
  refusedBookIds: Type.Optional(Type.Array(Type.String(), { description: 'PROCESSED: not lent to this user, so not taken back' })),
  processedAt: Type.Optional(Type.String()),
  error: Type.Optional(Type.String({ description: 'DEAD_LETTERED: why the entry could not be handled' })),
});
export const UserBooks = Type.Object({ userId: Id, bookIds: BookIdList, count: Type.Integer({ minimum: 0 }) });

// --- operating the system (dashboard) -----------------------------------------------------------

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ServiceHealth = Type.Object({
  name: Type.String(),
  url: Type.String({ description: 'where the gateway reaches it' }),
  up: Type.Boolean({ description: 'answered /healthz in time' }),
  version: Nullable(Type.String()),
  instance: Nullable(Type.String({ description: 'TRIBUTARY_INSTANCE of the process' })),
  pid: Nullable(Type.Integer()),
  startedAt: Nullable(Type.String()),
  uptimeSeconds: Nullable(Type.Number()),
  rssBytes: Nullable(Type.Integer({ description: 'resident memory of the process' })),
  heapUsedBytes: Nullable(Type.Integer({ description: "V8 heap in use (RSS also counts code, buffers and PGlite's WASM memory)" })),
  error: Nullable(Type.String({ description: 'why it is down' })),
});
export const ServiceList = Type.Object({ services: Type.Array(ServiceHealth, { description: 'the gateway first, then every service it knows, then the bus-redis and store-redis servers' }) });

export const StreamConsumer = Type.Object({
  name: Type.String(),
  pending: Type.Integer({ description: 'entries delivered to it and not yet acked' }),
  idleMs: Type.Integer({ description: 'since its last read or claim' }),
});
export const StreamGroup = Type.Object({
  name: Type.String(),
  lag: Nullable(Type.Integer({ description: 'entries not yet delivered to the group (null when Redis cannot tell)' })),
  pending: Type.Integer(),
  lastDeliveredId: Type.String(),
  consumers: Type.Array(StreamConsumer),
});
export const StreamState = Type.Object({
  stream: Type.String(),
  length: Type.Integer(),
  entriesAdded: Type.Integer({ description: 'entries ever added (XINFO STREAM entries-added): the difference between two polls is the throughput' }),
  lastId: Nullable(Type.String({ description: 'the last entry id generated (null before the stream exists)' })),
  deadLetters: Type.Integer({ description: 'entries in `{<stream>}:dlq`' }),
  groups: Type.Array(StreamGroup),
});
export const StreamList = Type.Object({ at: Type.String({ description: 'when the bus was read' }), streams: Type.Array(StreamState) });

export const LiveEventsQuery = Type.Object(
  {
    stream: Type.Optional(Type.String({ maxLength: 100, description: 'only this stream (empty: every stream)' })),
    type: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9_.-]*$', description: 'only this event type (empty: every type)' })),
  },
  { additionalProperties: false },
);

const TraceId = Type.String({ pattern: '^[0-9a-f]{32}$', description: 'W3C trace id, 32 lowercase hex' });
export const TimelineStep = Type.Object({
  at: Type.String({ description: "the event's time" }),
  service: Type.String({ description: 'the service that published it' }),
  stream: Type.String(),
  entryId: Type.String(),
  type: Type.String(),
  eventId: Type.String(),
  causationId: Nullable(Type.String()),
  traceId: Nullable(TraceId),
});
export const OrderTimeline = Type.Object({
  orderId: Id,
  status: Type.String(),
  traceId: Nullable(Type.String({ description: "the trace of the order's first event (GET /api/traces/{traceId})" })),
  history: Type.Array(Type.Object({ status: Type.String(), at: Type.String() }), { description: "ordering's status transitions" }),
  steps: Type.Array(TimelineStep, { description: 'every event whose correlationId or data.orderId is the order id, oldest first' }),
  scanLimit: Type.Integer({ description: 'entries searched per stream, newest first (TIMELINE_SCAN_LIMIT): older events are not shown' }),
});

export const TraceParams = Type.Object({ traceId: TraceId });
export const SpanView = Type.Object({
  traceId: Type.String(),
  spanId: Type.String(),
  parentSpanId: Nullable(Type.String()),
  name: Type.String(),
  kind: Type.String({ description: 'internal | server | client | producer | consumer' }),
  service: Type.String(),
  startedAt: Type.String(),
  durationMs: Type.Number(),
  error: Nullable(Type.String()),
  attributes: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
});
export const TraceView = Type.Object({
  traceId: Type.String(),
  spans: Type.Array(SpanView, { description: 'from every service that still holds them, by start time' }),
  missing: Type.Array(Type.String(), { description: 'services that did not answer: their spans may be absent' }),
});

export const LendingRecentQuery = Type.Object({ limit: Type.Optional(Limit(200, 50)) }, { additionalProperties: false });
export const LendingRecent = Type.Object({
  requests: Type.Array(
    Type.Object({
      requestId: Type.String({ description: 'the entry id on lending:requests' }),
      kind: Type.Union([Type.Literal('lend'), Type.Literal('return')]),
      userId: Type.String(),
      bookIds: Type.Array(Type.String()),
      status: Type.String({ description: 'PENDING | ACCEPTED | REJECTED | PROCESSED | DEAD_LETTERED' }),
      reason: Nullable(Type.String({ description: 'REJECTED: the reason; DEAD_LETTERED: the error' })),
      at: Type.String({ description: 'when it was asked' }),
      processedAt: Nullable(Type.String({ description: 'when lending decided' })),
    }),
    { description: 'newest first' },
  ),
});
