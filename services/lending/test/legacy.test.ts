import { describe, expect, it } from 'vitest';
import { adoptLegacyLayout } from '../src/store/legacy.ts';
import { lendingKeys } from '../src/store/keys.ts';
import { useLending } from './harness.ts';

const t = useLending();

/**
 * A library run before Redis Cluster support kept its keys under plain
 * names; the first start after the upgrade moves them, and lending goes on
 * from where it was: who holds what, what was decided, what is reserved.
 */
describe('the key layout before Redis Cluster support', () => {
  it('is moved at start: holdings, outcomes and a reservation in flight carry on', async () => {
    const decided = await t.submit('lend', 'Olga', ['dune']);
    const inFlight = await t.submit('lend', 'Olga', ['emma']);
    // What the old scripts left: dune lent to Olga, decided; emma reserved for the next request, undecided.
    for (const command of [
      ['HSET', 'lending:lent', 'dune', 'Olga'],
      ['SET', 'lending:user:Olga:count', '1'],
      ['SADD', 'lending:user:Olga:books', 'dune'],
      ['HSET', `lending:request:${decided}`, 'kind', 'lend', 'status', 'ACCEPTED', 'userId', 'Olga', 'bookIds', '["dune"]', 'unavailableBookIds', '[]', 'processedAt', new Date(0).toISOString()],
      ['EXPIRE', `lending:request:${decided}`, '3600'],
      ['SADD', `lending:request:${inFlight}:reserved`, 'emma'],
      ['SADD', 'lending:return:1-0:temp', 'left-by-a-crash'],
    ]) {
      await t.bus.sendCommand(command);
    }
    await t.start();
    expect(await t.outcome(decided)).toMatchObject({ status: 'ACCEPTED', bookIds: ['dune'] });
    expect(Number(await t.bus.sendCommand(['TTL', lendingKeys.outcome(decided)]))).toBeGreaterThan(3_000);
    // The reservation moved with its request, which is now decided from it (emma never asked of shelving again).
    expect(await t.outcome(inFlight)).toMatchObject({ status: 'ACCEPTED', bookIds: ['emma'] });
    await t.settled();
    const state = await t.state();
    expect(state.lent).toEqual({ dune: 'Olga', emma: 'Olga' });
    expect(state.users).toEqual({ Olga: { count: 2, books: ['dune', 'emma'] } });
    expect(state.leftovers).toEqual([]);
    for (const key of ['lending:user:Olga:count', 'lending:user:Olga:books', 'lending:lent', 'lending:return:1-0:temp', `lending:request:${decided}`]) expect(await t.bus.sendCommand(['EXISTS', key]), key).toBe(0);
    // A second start finds nothing left to move.
    expect(await adoptLegacyLayout(t.bus)).toBe(0);
  });
});
