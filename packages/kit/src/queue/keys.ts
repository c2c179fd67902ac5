import { TributaryError } from '../errors.ts';

/**
 * Every Redis key of one queue is built here and nowhere else (BullMQ's
 * `queue-keys.ts`). The caller names the queue with its own namespace, e.g.
 * `mailing:mails`; the last segment becomes a hash tag, `mailing:{mails}`, so
 * the keys keep the service's ACL prefix (`mailing:*`) and all live in one
 * Redis Cluster slot, which the Lua scripts need. A name that already holds a
 * `{tag}` is used as it is.
 */
export function queueBase(name: string): string {
  if (name.length === 0) throw new TributaryError('TRIB_INVALID_CONFIG', 'a queue needs a name');
  if (name.includes('{')) return name;
  const cut = name.lastIndexOf(':') + 1;
  return `${name.slice(0, cut)}{${name.slice(cut)}}`;
}

export interface QueueKeys {
  readonly base: string;
  /** List of item ids waiting: pushed at the left, taken from the right (FIFO). */
  readonly pending: string;
  /** Hash: item id -> payload as pushed (JSON text). */
  readonly items: string;
  /** Hash: item id -> how many times a worker took it (counted in Redis, survives crashes). */
  readonly attempts: string;
  /** Sorted set: item id -> time (ms) a retry is due. */
  readonly delayed: string;
  /** Sorted set: item id -> time (ms) it was pushed; the idempotency window of `push`. */
  readonly seen: string;
  /** List of JSON records `{id, payload, error, attempts, failedAt}`, newest first, bounded. */
  readonly dead: string;
  /** Set of worker ids that registered (so the sweep finds their lists without SCAN). */
  readonly workers: string;
  /** List: the item a worker is processing. */
  processing(workerId: string): string;
  /** String with a PX expiry: present while the worker is alive. */
  heartbeat(workerId: string): string;
}

export function queueKeys(name: string): QueueKeys {
  const base = queueBase(name);
  return {
    base,
    pending: `${base}:pending`,
    items: `${base}:items`,
    attempts: `${base}:attempts`,
    delayed: `${base}:delayed`,
    seen: `${base}:seen`,
    dead: `${base}:dead`,
    workers: `${base}:workers`,
    processing: (workerId) => `${base}:processing:${workerId}`,
    heartbeat: (workerId) => `${base}:worker:${workerId}`,
  };
}
