import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, groupsOf, type RedisClient } from 'tributary';
import { waitFor } from 'tributary/testing';
import { casesFor, type FuzzCase, type Operation } from '../support/openapi-fuzz.ts';
import { sharedSystem } from '../support/shared-system.ts';
import type { TestSystem } from '../support/system.ts';

/**
 * Malformed requests for every operation of the gateway's OpenAPI document
 * (docs/openapi.json), against the whole system: whatever arrives, the answer
 * is never a 5xx, a 4xx carries `{error, message}`, and nothing is written.
 * The cases are enumerated, not random, so a failure names a request that
 * fails again on the next run.
 */

/** Server-sent event streams never end: a request to one would hold the test until its timeout. */
const EXCLUDED: Record<string, string> = {
  'GET /api/deliveries/live': 'server-sent events (drone positions); the stream stays open',
  'GET /api/events/live': 'server-sent events (live bus events); the stream stays open',
};

/**
 * Changes that a well-formed part of a malformed request may make and that
 * change nothing: signing out without a session, removing from a basket a
 * product that is not in it. The store snapshot still checks them.
 */
const ACCEPTED_NO_OPS: Record<string, (fuzz: FuzzCase) => boolean> = {
  'DELETE /api/session': () => true,
  'DELETE /api/admin/session': () => true,
  'DELETE /api/baskets/{userId}/items/{productId}': (fuzz) => fuzz.variant.startsWith('path productId'),
};

/** Streams that change with no request: the drone simulator reports positions all the time. */
const BACKGROUND_STREAMS = new Set(['drone-sim:events']);
/**
 * Store keys that change with no write: the catalog's read-through cache
 * (a GET of an unknown id caches "not found"), the gateway's own keys
 * (sessions, rate limits, idempotency records), and the drone fleet, which
 * the simulator moves.
 */
const NOT_WRITES = [/^catalog:cache:/, /^gateway:/, /^delivery:\{fleet\}:/];

const document = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};

/**
 * What the system holds: every business stream's length on the bus, and a
 * digest of every key in the store Redis that is not the gateway's own
 * (sessions, rate limits and idempotency records change with every request).
 */
async function snapshot(bus: RedisClient, store: RedisClient): Promise<Record<string, string | number>> {
  const state: Record<string, string | number> = {};
  for await (const keys of bus.scanIterator({ TYPE: 'stream', COUNT: 1_000 })) {
    for (const key of [keys].flat()) if (!BACKGROUND_STREAMS.has(key)) state[`bus ${key}`] = await bus.xLen(key);
  }
  for await (const keys of store.scanIterator({ COUNT: 1_000 })) {
    for (const key of [keys].flat()) {
      if (NOT_WRITES.some((pattern) => pattern.test(key))) continue;
      const type = await store.type(key);
      const content =
        type === 'string' ? await store.get(key)
        : type === 'hash' ? await store.hGetAll(key)
        : type === 'zset' ? await store.zRangeWithScores(key, 0, -1)
        : type === 'set' ? (await store.sMembers(key)).sort()
        : type === 'list' ? await store.lRange(key, 0, -1)
        : type === 'stream' ? await store.xLen(key)
        : type;
      state[`store ${key}`] = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
    }
  }
  return state;
}

/** Rows written to a service's outbox and not yet published, summed over the system (from the merged /metrics). */
async function outboxBacklog(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  return [...text.matchAll(/^tributary_outbox_backlog(?:\{[^}]*\})? (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * Nothing in flight: every outbox published and every consumer group of
 * every business stream has read and acknowledged everything, so what the
 * stores hold is what the requests so far made of them.
 */
async function settled(gatewayUrl: string, bus: RedisClient): Promise<boolean> {
  if ((await outboxBacklog(gatewayUrl)) !== 0) return false;
  for await (const keys of bus.scanIterator({ TYPE: 'stream', COUNT: 1_000 })) {
    for (const key of [keys].flat()) {
      if (BACKGROUND_STREAMS.has(key)) continue;
      // A group no process reads changes nothing either way.
      for (const group of await groupsOf(bus, key)) if (group.consumers > 0 && (group.pending !== 0 || (group.lag ?? 0) !== 0)) return false;
    }
  }
  return true;
}

describe('malformed requests from the OpenAPI document', () => {
  let t: TestSystem;
  let bus: RedisClient;
  let store: RedisClient;
  beforeAll(async () => {
    t = sharedSystem();
    bus = await connectRedis(t.bus.url);
    store = await connectRedis(t.store.url);
  }, 180_000);
  afterAll(async () => {
    await bus?.close();
    await store?.close();
  });

  it('answer 4xx with {error, message}, never 5xx, and write nothing', async () => {
    const key = t.system.adminKey;
    const auth: Record<string, string> = key ? { 'x-api-key': key } : {};
    // Real ids, so that a malformed request reaches past "not found" into the handler.
    const user = await t.api<{ id: string }>('POST', '/api/users', { name: 'Fuzz Target', email: 'fuzz-target@example.com', country: 'GB', balanceCents: 10_000 }, auth);
    const product = await t.api<{ id: string }>('POST', '/api/products', { sku: 'FUZZ-1', name: 'Fuzz', priceCents: 100, stock: 10, bannedCountries: [] }, auth);
    expect([user.status, product.status]).toEqual([201, 201]);
    const known = { id: user.body.id, userId: user.body.id, productId: product.body.id, member: user.body.id };

    const cases: FuzzCase[] = [];
    const operations: string[] = [];
    for (const [template, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const name = `${method.toUpperCase()} ${template}`;
        if (EXCLUDED[name]) continue;
        operations.push(name);
        // Product routes name their id `id` too: use the product's where the path is a product's.
        const ids = template.startsWith('/api/products') ? { ...known, id: product.body.id } : known;
        cases.push(...casesFor(method, template, operation, ids));
      }
    }
    expect(cases.length).toBeGreaterThanOrEqual(300);
    console.info(`fuzz: ${cases.length} requests over ${operations.length} operations`);
    expect(Object.keys(EXCLUDED).every((name) => !operations.includes(name))).toBe(true);

    // Settled first: the two creations above reach the bus through outboxes, and their consumers copy them.
    await waitFor(() => settled(t.system.gatewayUrl, bus), { timeoutMs: 60_000, description: 'system settled before' });
    const before = await snapshot(bus, store);

    const failures: string[] = [];
    for (const fuzz of cases) {
      const response = await fetch(`${t.system.gatewayUrl}${fuzz.path}`, {
        method: fuzz.method,
        headers: { ...auth, ...fuzz.headers },
        ...(fuzz.body === undefined ? {} : { body: fuzz.body }),
      });
      const text = await response.text();
      const label = `${fuzz.operation} [${fuzz.variant}] → ${response.status}`;
      if (response.status >= 500) failures.push(`${label}: ${text.slice(0, 200)}`);
      else if (response.status >= 400) {
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: reported below.
        }
        const shaped = body !== null && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string' && typeof (body as { message?: unknown }).message === 'string';
        if (!shaped) failures.push(`${label}: not {error, message}: ${text.slice(0, 200)}`);
      } else if (fuzz.method !== 'GET' && !ACCEPTED_NO_OPS[fuzz.operation]?.(fuzz)) {
        // A change accepted from a malformed request is a write, whatever the stores show.
        failures.push(`${label}: a malformed ${fuzz.method} was accepted: ${text.slice(0, 200)}`);
      }
    }

    await waitFor(() => settled(t.system.gatewayUrl, bus), { timeoutMs: 60_000, description: 'system settled after' });
    const after = await snapshot(bus, store);
    expect(failures).toEqual([]);
    expect(after).toEqual(before);
  }, 240_000);
});
