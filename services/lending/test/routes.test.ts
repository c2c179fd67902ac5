import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { useLending } from './harness.ts';

const t = useLending();

describe('HTTP API', () => {
  it('answers 400 to bad input and appends nothing', async () => {
    const lending = await t.start();
    for (const url of ['/requests', '/returns']) {
      for (const payload of [
        {},
        { userId: 'Salvatore' },
        { userId: 'Salvatore', bookIds: [] },
        { userId: 'Salvatore', bookIds: ['a', 'a'] },
        { userId: 'Salvatore', bookIds: ['has space'] },
        { userId: '', bookIds: ['a'] },
        { userId: 'Salvatore', bookIds: Array.from({ length: 21 }, (_, i) => `b${i}`) },
        { userId: 7, bookIds: ['a'] },
      ]) {
        const reply = await lending.app.inject({ method: 'POST', url, payload });
        expect(reply.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      }
      const notJson = await lending.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{"userId":' });
      expect(notJson.statusCode).toBe(400);
    }
    expect(await t.bus.exists('lending:requests')).toBe(1); // the consumer group made it (MKSTREAM)...
    expect(await t.bus.xLen('lending:requests')).toBe(0); // ...but nothing was appended
  });

  it('appends a POST retried with its Idempotency-Key once; the key with another body is 422; a return keeps its own keys', async () => {
    const lending = await t.start();
    const payload = { userId: 'Salvatore', bookIds: ['ofmiceandmen'] };
    const headers = { 'idempotency-key': 'borrow-1' };
    const first = await lending.app.inject({ method: 'POST', url: '/requests', payload, headers });
    const again = await lending.app.inject({ method: 'POST', url: '/requests', payload, headers });
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    const other = await lending.app.inject({ method: 'POST', url: '/requests', payload: { ...payload, bookIds: ['thegreatgatsby'] }, headers });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_REUSED' });
    const giveBack = await lending.app.inject({ method: 'POST', url: '/returns', payload, headers });
    expect(giveBack.statusCode).toBe(202);
    expect(giveBack.json().requestId).not.toBe(first.json().requestId);
    expect((await lending.app.inject({ method: 'POST', url: '/requests', payload, headers: { 'idempotency-key': 'has space' } })).statusCode).toBe(400);
    expect(await t.bus.xLen('lending:requests')).toBe(2);
    // The entry is an ordinary request: it is decided like any other.
    expect(await t.outcome(first.json().requestId)).toMatchObject({ status: 'ACCEPTED' });
  });

  it('reports 400 for an id that is not a stream id, 404 for an unknown one', async () => {
    const lending = await t.start();
    for (const id of ['abc', '12', '12-', '-1', '1-2-3', '1.5-0']) {
      expect((await lending.app.inject({ method: 'GET', url: `/requests/${id}` })).statusCode, id).toBe(400);
    }
    const unknown = await lending.app.inject({ method: 'GET', url: '/requests/1234-0' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'REQUEST_NOT_FOUND' });
    expect((await lending.app.inject({ method: 'GET', url: '/users/no%20one/books' })).statusCode).toBe(400);
    expect((await lending.app.inject({ method: 'GET', url: '/users/nobody/books' })).json()).toEqual({ userId: 'nobody', bookIds: [], count: 0 });
  });

  it('reports PENDING while the request is in hand', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let reached = false;
    const lending = await t.start({}, {
      onStep: async (step) => {
        if (step !== 'reservations-recovered') return;
        reached = true;
        await held;
      },
    });
    const { requestId } = (await lending.app.inject({ method: 'POST', url: '/requests', payload: { userId: 'Salvatore', bookIds: ['ofmiceandmen'] } })).json();
    await waitFor(() => reached, { description: 'handler in progress' });
    expect((await lending.app.inject({ method: 'GET', url: `/requests/${requestId}` })).json()).toEqual({ requestId, kind: 'lend', status: 'PENDING' });
    release();
    await t.outcome(requestId);
    expect((await lending.app.inject({ method: 'GET', url: `/requests/${requestId}` })).json()).toMatchObject({ status: 'ACCEPTED' });
  });

  it('reports PENDING for a request appended before any instance ran', async () => {
    const requestId = await t.submit('return', 'Salvatore', ['ofmiceandmen']);
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const lending = await t.start({}, { onStep: async () => held });
    expect((await lending.app.inject({ method: 'GET', url: `/requests/${requestId}` })).json()).toEqual({ requestId, kind: 'return', status: 'PENDING' });
    release();
    expect(await t.outcome(requestId)).toMatchObject({ status: 'PROCESSED', refusedBookIds: ['ofmiceandmen'] });
  });
});
