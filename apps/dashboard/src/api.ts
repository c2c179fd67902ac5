// Types of the gateway's JSON replies, as far as the pages use them, and a
// small fetch wrapper. Nothing is validated here beyond what rendering needs:
// the gateway validates its answers against its own schemas.

export interface ServiceStatus {
  name: string;
  url: string;
  up: boolean;
  version: string | null;
  instance: string | null;
  pid: number | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  error: string | null;
}

export interface ConsumerInfo {
  name: string;
  pending: number;
  idleMs: number;
}
export interface GroupInfo {
  name: string;
  lag: number | null;
  pending: number;
  lastDeliveredId: string;
  consumers: ConsumerInfo[];
}
export interface StreamInfo {
  stream: string;
  length: number;
  entriesAdded: number;
  lastId: string;
  deadLetters: number;
  groups: GroupInfo[];
}
export interface StreamsReply {
  at: string;
  streams: StreamInfo[];
}

/** One decoded entry of GET /api/events/live (event name `entry`). */
export interface LiveEntry {
  stream: string;
  entryId: string;
  id: string;
  type: string;
  version: number;
  source: string;
  time: string;
  correlationId: string | null;
  causationId: string | null;
  traceId: string | null;
  data: unknown;
}

export interface Order {
  id: string;
  userId: string;
  totalCents: number;
  status: string;
  deliveryId: string | null;
  failureReason: string | null;
  history: Array<{ status: string; at: string }>;
  createdAt: string;
}

export interface TimelineStep {
  at: string;
  service: string;
  stream: string;
  entryId: string;
  type: string;
  eventId: string;
  causationId: string | null;
  traceId: string | null;
}
export interface Timeline {
  orderId: string;
  status: string;
  traceId: string | null;
  steps: TimelineStep[];
  history?: Array<{ status: string; at: string }>;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: string;
  service: string;
  startedAt: string;
  durationMs: number;
  error: string | null;
}
export interface TraceReply {
  traceId: string;
  spans: Span[];
  missing?: string[];
}

export interface DeadLetter {
  id: string;
  stream: string;
  originalId: string;
  group: string;
  consumer: string;
  handler: string;
  error: string;
  attempts: number;
  at: string;
  fields: Record<string, string>;
}
export interface DeadLetterList {
  stream: string;
  count: number;
  items: DeadLetter[];
}

export interface Point {
  lat: number;
  lon: number;
}
export interface DroneList {
  items: Array<{ droneId: string; deliveryId: string; position: Point; distanceKm: number }>;
}
/** GET /api/deliveries/queue: deliveries waiting for a drone. */
export interface DroneQueue {
  waiting: number;
  oldestWaitSeconds: number | null;
  waitLimitSeconds: number;
}
/** One message of GET /api/deliveries/live (event name `position`). */
export interface DronePosition {
  droneId: string;
  deliveryId: string;
  status: string;
  position: Point;
  batteryPct: number;
  at: string;
}
export interface Delivery {
  deliveryId: string;
  packageId: string;
  orderId: string;
  status: string;
  droneId: string | null;
  position: Point | null;
  batteryPct: number | null;
  etaSeconds: number | null;
  reason: string | null;
  updatedAt: string;
  steps: Array<{ status: string; at: string }>;
}
export interface DeliveryHistory {
  deliveryId: string;
  status: string;
  reason: string | null;
  steps: Array<{ status: string; at: string }>;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  source: string;
}

export interface LendingRecent {
  requests: Array<{
    requestId: string;
    kind: 'lend' | 'return';
    userId: string;
    bookIds: string[];
    status: string;
    reason: string | null;
    at: string;
  }>;
}

/** A non-2xx answer, with the gateway's `{ error, message }` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ADMIN_KEY = 'tributary.adminKey';

/** The admin key the operator typed in, for this tab only (sessionStorage, never localStorage). */
export function adminKey(): string {
  return sessionStorage.getItem(ADMIN_KEY) ?? '';
}
export function setAdminKey(key: string): void {
  if (key) sessionStorage.setItem(ADMIN_KEY, key);
  else sessionStorage.removeItem(ADMIN_KEY);
}

export async function api<T>(method: string, path: string, body?: unknown, options: { admin?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const key = options.admin ? adminKey() : '';
  if (key) headers['x-api-key'] = key;
  const response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const reply = (parsed ?? {}) as { error?: string; message?: string };
    throw new ApiError(response.status, reply.error ?? 'HTTP_ERROR', reply.message ?? `${method} ${path}: ${response.status}`);
  }
  return parsed as T;
}

export const get = <T>(path: string, options?: { admin?: boolean }) => api<T>('GET', path, undefined, options);

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.status} ${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** GET /api/monitoring/regions: order-monitoring's Active/Active region and the lag both ways with each other region. */
export type RegionPair =
  | { source: string; target: string; cursor: string; pending: number; oldestPendingMs: number }
  | { source: string; target: string; unreachable: string };
export interface RegionsReply {
  region: string | null;
  replication: RegionPair[];
}
