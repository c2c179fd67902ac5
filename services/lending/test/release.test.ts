import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { releaseDeadLetteredRequests } from '../src/release.ts';
import { GROUP, lendingKeys } from '../src/store/keys.ts';
import { logger, useLending } from './harness.ts';

const t = useLending();
const HOUR = 60 * 60 * 1000;

describe('a lending request dead-lettered after its retries', () => {
  it('keeps its books until the release time, then gives them back once, rejected HANDLING_FAILED', async () => {
    // One book in automated storage (room for one), one that only shelving has.
    await t.bus.sendCommand(['SADD', lendingKeys.storage(), 'a']);
    const lending = await t.start(
      { storageCapacity: 1, releaseAfterMs: HOUR },
      {
        // Fails every attempt after both books are reserved, as a bug would: the kit dead-letters it.
        onStep: (step) => {
          if (step === 'limit-checked') throw new Error('a bug after the reservations');
        },
        consumer: { maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 50 },
      },
    );
    const requestId = await t.submit('lend', 'U1', ['a', 'b']);
    await waitFor(async () => Number(await t.bus.sendCommand(['XLEN', '{lending:requests}:dlq'])) === 1, { timeoutMs: 20_000, description: 'the request dead-lettered' });
    expect((await t.bus.sMembers(lendingKeys.reserved(requestId))).sort()).toEqual(['a', 'b']);
    expect(await t.shelf.hGet('shelving:out', 'b')).toBe(requestId);

    const deps = { redis: t.bus, store: lending.store, group: GROUP, logger, releaseAfterMs: HOUR };
    // Within the operator's hour to replay it: nothing moves.
    expect(await releaseDeadLetteredRequests(deps)).toBe(0);
    expect(await lending.store.decided(requestId)).toBe(false);
    expect((await t.bus.sMembers(lendingKeys.reserved(requestId))).sort()).toEqual(['a', 'b']);

    const later = Date.now() + HOUR + 1_000;
    expect(await releaseDeadLetteredRequests(deps, later)).toBe(1);
    const outcome = await t.outcome(requestId);
    expect(outcome).toMatchObject({ kind: 'lend', status: 'REJECTED', userId: 'U1', reason: 'HANDLING_FAILED' });
    // Storage refilled to its capacity; the other book went back to shelving, which shelves it.
    expect(await t.bus.sMembers(lendingKeys.storage())).toEqual(['a']);
    await waitFor(async () => (await t.shelf.hGet('shelving:out', 'b')) === null, { description: 'b back on the shelf' });
    const state = await t.state();
    expect(state.leftovers).toEqual([]);
    expect(state.lent).toEqual({});
    const events = (await t.events()).filter((event) => (event.data as { requestId?: string }).requestId === requestId);
    expect(events.map((event) => event.type)).toEqual(['RequestRejected', 'BooksSentToShelving']);
    expect(events[0]?.data).toMatchObject({ reason: 'HANDLING_FAILED', bookIds: ['a', 'b'] });
    expect(events[1]?.data).toEqual({ requestId, bookIds: ['b'] });

    // Once: the cursor is past it, and from the start again it is decided already.
    expect(await releaseDeadLetteredRequests(deps, later)).toBe(0);
    await t.bus.sendCommand(['DEL', lendingKeys.releaseCursor()]);
    expect(await releaseDeadLetteredRequests(deps, later)).toBe(0);
    expect((await t.events()).filter((event) => (event.data as { requestId?: string }).requestId === requestId)).toHaveLength(2);
    // The dead letter stays for the operator to read what failed.
    expect(Number(await t.bus.sendCommand(['XLEN', '{lending:requests}:dlq']))).toBe(1);
  });
});
