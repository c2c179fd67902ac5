import { describe, expect, it } from 'vitest';
import { type RedisClient } from '../index.ts';
import { waitFor } from '../testing/index.ts';
import { canonicalJson, fingerprintRequest } from './fingerprint.ts';
import { createIdempotencyStore, type IdempotencyStoreOptions } from './store.ts';
import { useRedis } from '../testing/vitest.ts';

describe('idempotency store (real Redis)', () => {
  const { clients } = useRedis({ clients: 4, flush: true });
  const redis = () => clients[0] as RedisClient;
  const storeOn = (client: RedisClient, options: Partial<IdempotencyStoreOptions> = {}) =>
    createIdempotencyStore({ redis: client, prefix: 'test:idem', ...options });
  const response = { status: 201, contentType: 'application/json', body: '{"id":"o1"}' };

  it('lets exactly one of many concurrent claims through', async () => {
    const stores = clients.map((client) => storeOn(client));
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => (stores[i % stores.length] as (typeof stores)[number]).begin('client-a', 'k1', 'fp')));
    expect(claims.filter((claim) => claim.kind === 'acquired')).toHaveLength(1);
    expect(claims.filter((claim) => claim.kind === 'in-flight')).toHaveLength(39);
  });

  it('replays the recorded response, then expires it after the TTL', async () => {
    const store = storeOn(redis(), { ttlMs: 300 });
    const claim = await store.begin('client-a', 'k2', 'fp');
    if (claim.kind !== 'acquired') throw new Error('expected to acquire');
    expect(await store.complete('client-a', 'k2', claim.token, response)).toBe(true);
    expect(await store.begin('client-a', 'k2', 'fp')).toEqual({ kind: 'replay', response });
    // One compact string once done: status, fingerprint, content type, body; no token left.
    expect(await redis().get('test:idem:client-a:k2')).toBe('201\nfp\napplication/json\n{"id":"o1"}');
    await waitFor(async () => Number(await redis().sendCommand(['EXISTS', 'test:idem:client-a:k2'])) === 0, { timeoutMs: 5_000 });
    expect((await store.begin('client-a', 'k2', 'another request')).kind).toBe('acquired');
  });

  it('replays a body with newlines exactly, refuses another request on a done key, and leaves a done key to release', async () => {
    const store = storeOn(redis());
    const claim = await store.begin('client-a', 'k6', 'fp');
    if (claim.kind !== 'acquired') throw new Error('expected to acquire');
    const multiline = { status: 200, contentType: 'text/plain; charset=utf-8', body: 'line one\n\nline three\n' };
    expect(await store.complete('client-a', 'k6', claim.token, multiline)).toBe(true);
    expect(await store.begin('client-a', 'k6', 'fp')).toEqual({ kind: 'replay', response: multiline });
    expect(await store.begin('client-a', 'k6', 'fp-other')).toEqual({ kind: 'mismatch' });
    expect(await store.release('client-a', 'k6', claim.token)).toBe(false);
    expect(await store.complete('client-a', 'k6', claim.token, response)).toBe(false);
    expect(await store.begin('client-a', 'k6', 'fp')).toEqual({ kind: 'replay', response: multiline });
  });

  it('still replays a record kept as a hash (the layout before the compact string)', async () => {
    const store = storeOn(redis());
    await redis().hSet('test:idem:client-a:k7', { state: 'done', fingerprint: 'fp', status: '201', contentType: 'application/json', body: '{"id":"o7"}', startedAt: '1', completedAt: '2' });
    expect(await store.begin('client-a', 'k7', 'fp')).toEqual({ kind: 'replay', response: { ...response, body: '{"id":"o7"}' } });
    expect(await store.begin('client-a', 'k7', 'fp-other')).toEqual({ kind: 'mismatch' });
  });

  it('answers mismatch for the same key on a different request, and scopes keys', async () => {
    const store = storeOn(redis());
    const claim = await store.begin('client-a', 'k3', 'fp-1');
    expect(claim.kind).toBe('acquired');
    expect(await store.begin('client-a', 'k3', 'fp-2')).toEqual({ kind: 'mismatch' });
    expect((await store.begin('client-b', 'k3', 'fp-2')).kind).toBe('acquired');
  });

  it('frees a released key so the next request runs afresh', async () => {
    const store = storeOn(redis());
    const claim = await store.begin('client-a', 'k4', 'fp');
    if (claim.kind !== 'acquired') throw new Error('expected to acquire');
    expect(await store.release('client-a', 'k4', 'not-the-token')).toBe(false);
    expect(await store.release('client-a', 'k4', claim.token)).toBe(true);
    expect((await store.begin('client-a', 'k4', 'fp')).kind).toBe('acquired');
  });

  it('a waiting duplicate takes over once a crashed holder\'s claim expires', async () => {
    const crashed = storeOn(clients[1] as RedisClient, { inFlightTtlMs: 300 });
    expect((await crashed.begin('client-a', 'k5', 'fp')).kind).toBe('acquired');
    // The holder never completes nor releases: it died.
    const survivor = storeOn(redis(), { inFlightTtlMs: 300, waitTimeoutMs: 10_000 });
    const outcome = await survivor.acquire('client-a', 'k5', 'fp');
    expect(outcome.kind).toBe('acquired');
  });

  it('gives up waiting at the deadline while the holder is still running', async () => {
    const holder = storeOn(clients[1] as RedisClient, { inFlightTtlMs: 60_000 });
    expect((await holder.begin('client-a', 'k6', 'fp')).kind).toBe('acquired');
    const waiter = storeOn(redis(), { waitTimeoutMs: 100 });
    expect(await waiter.acquire('client-a', 'k6', 'fp')).toEqual({ kind: 'timeout' });
  });

  it('a waiter gets the holder\'s response as soon as it is recorded', async () => {
    const holder = storeOn(clients[1] as RedisClient);
    const claim = await holder.begin('client-a', 'k7', 'fp');
    if (claim.kind !== 'acquired') throw new Error('expected to acquire');
    const waiting = storeOn(redis()).acquire('client-a', 'k7', 'fp');
    await holder.complete('client-a', 'k7', claim.token, response);
    expect(await waiting).toEqual({ kind: 'replay', response });
  });

  it('never lets a holder whose claim expired overwrite the next holder\'s', async () => {
    const store = storeOn(redis(), { inFlightTtlMs: 100 });
    const slow = await store.begin('client-a', 'k8', 'fp');
    if (slow.kind !== 'acquired') throw new Error('expected to acquire');
    const next = await store.acquire('client-a', 'k8', 'fp');
    if (next.kind !== 'acquired') throw new Error('expected the retry to take over');
    expect(await store.complete('client-a', 'k8', slow.token, { ...response, body: 'slow' })).toBe(false);
    expect(await store.release('client-a', 'k8', slow.token)).toBe(false);
    expect(await store.complete('client-a', 'k8', next.token, response)).toBe(true);
    expect(await store.begin('client-a', 'k8', 'fp')).toEqual({ kind: 'replay', response });
  });

  it('rejects keys that are empty, too long or not printable ASCII', async () => {
    const store = storeOn(redis());
    for (const key of ['', 'x'.repeat(256), 'has space', 'ü']) await expect(store.begin('client-a', key, 'fp')).rejects.toThrow(RangeError);
    await expect(store.begin('', 'k', 'fp')).rejects.toThrow(/scope/);
  });

  it('fingerprints requests by method, path and canonical body', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: null }] })).toBe('{"a":[1,{"c":null,"d":2}],"b":1}');
    const base = { method: 'POST', url: '/orders', body: { a: 1, b: 2 } };
    expect(fingerprintRequest(base)).toBe(fingerprintRequest({ ...base, body: { b: 2, a: 1 } }));
    expect(fingerprintRequest(base)).not.toBe(fingerprintRequest({ ...base, body: { a: 1, b: 3 } }));
    expect(fingerprintRequest(base)).not.toBe(fingerprintRequest({ ...base, url: '/orders?x=1' }));
    expect(fingerprintRequest(base)).not.toBe(fingerprintRequest({ ...base, method: 'PUT' }));
  });
});
