import { describe, expect, it } from 'vitest';
import { encodeEnvelope, listDeadLetters, newEventId, newTraceparent } from 'tributary';
import { waitFor } from 'tributary/testing';
import { useLending } from './harness.ts';
import { lendingKeys } from '../src/store/keys.ts';

const t = useLending();

const envelope = (type: string, version: number, data: unknown) => {
  const id = newEventId();
  return encodeEnvelope({ id, type, version, time: new Date().toISOString(), source: 'lending', correlationId: id, causationId: null, traceparent: newTraceparent(), data });
};

describe('a malformed entry on lending:requests', () => {
  it('goes to the dead-letter stream with its reason, and changes nothing', async () => {
    const lending = await t.start();
    const garbage = await t.bus.xAdd('lending:requests', '*', { userId: 'Salvatore', bookIds: 'ofmiceandmen' });
    const badData = await t.bus.xAdd('lending:requests', '*', envelope('LendingRequested', 1, { userId: 'Salvatore', bookIds: [] }));
    const notJson = await t.bus.xAdd('lending:requests', '*', { ...envelope('ReturnRequested', 1, {}), data: '{nope' });
    const future = await t.bus.xAdd('lending:requests', '*', envelope('LendingRequested', 9, { userId: 'Salvatore', bookIds: ['a'] }));
    // A good one behind them is handled: bad entries do not block the stream.
    const good = await t.submit('lend', 'Salvatore', ['ofmiceandmen']);
    expect(await t.outcome(good)).toMatchObject({ status: 'ACCEPTED' });

    const letters = await waitFor(async () => {
      const found = await listDeadLetters(t.bus, 'lending:requests');
      return found.length === 4 ? found : null;
    }, { description: 'four dead letters' });
    const reasons = Object.fromEntries(letters.map((letter) => [letter.originalId, letter.error]));
    expect(reasons[garbage]).toMatch(/invalid entry: missing field "id"/);
    expect(reasons[badData]).toMatch(/invalid LendingRequested: \/bookIds/);
    expect(reasons[notJson]).toMatch(/data is not JSON/);
    expect(reasons[future]).toMatch(/no handler for LendingRequested version 9/);
    for (const letter of letters) expect(letter.group).toBe('lending');

    const status = (await lending.app.inject({ method: 'GET', url: `/requests/${badData}` })).json();
    expect(status).toMatchObject({ requestId: badData, kind: 'lend', status: 'DEAD_LETTERED' });
    expect(status.error).toMatch(/bookIds/);
    expect((await lending.app.inject({ method: 'GET', url: `/requests/${garbage}` })).json()).toMatchObject({ kind: 'unknown', status: 'DEAD_LETTERED' });

    // Nothing but the good request changed anything.
    await t.settled();
    const state = await t.state();
    expect(state.lent).toEqual({ ofmiceandmen: 'Salvatore' });
    expect(state.leftovers).toEqual([]);
    expect(await t.bus.keys(lendingKeys.outcome('*'))).toEqual([lendingKeys.outcome(good)]);
    expect((await t.events()).map((event) => event.type)).toEqual(['RequestAccepted']);
  });
});
