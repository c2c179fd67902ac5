import { describe, expect, it } from 'vitest';
import { useLending } from './harness.ts';

const t = useLending();

describe('returns', () => {
  it('refuses a book lent to A that B "returns", reports it, and A still holds it', async () => {
    await t.start();
    await t.outcome(await t.submit('lend', 'A', ['ofmiceandmen']));
    const wrong = await t.outcome(await t.submit('return', 'B', ['ofmiceandmen']));
    expect(wrong).toMatchObject({ kind: 'return', status: 'PROCESSED', userId: 'B', returnedBookIds: [], refusedBookIds: ['ofmiceandmen'] });
    const state = await t.state();
    expect(state.lent).toEqual({ ofmiceandmen: 'A' });
    expect(state.users).toEqual({ A: { count: 1, books: ['ofmiceandmen'] } });
    expect(state.storage).toEqual([]);
    expect(state.leftovers).toEqual([]);
    const reported = (await t.events()).find((event) => event.type === 'ReturnProcessed');
    expect(reported?.data).toEqual({ requestId: wrong.requestId, userId: 'B', returnedBookIds: [], refusedBookIds: ['ofmiceandmen'] });
  });

  it('takes back the books lent to the user and refuses the rest in one return', async () => {
    await t.start();
    await t.outcome(await t.submit('lend', 'A', ['a', 'b']));
    await t.outcome(await t.submit('lend', 'B', ['c']));
    const mixed = await t.outcome(await t.submit('return', 'A', ['a', 'c', 'never-lent']));
    expect(mixed).toMatchObject({ returnedBookIds: ['a'], refusedBookIds: ['c', 'never-lent'] });
    const state = await t.state();
    expect(state.lent).toEqual({ b: 'A', c: 'B' });
    expect(state.users).toEqual({ A: { count: 1, books: ['b'] }, B: { count: 1, books: ['c'] } });
    expect(state.storage).toEqual(['a']);
  });

  it('a second return of the same book is refused: counts never go below what is held', async () => {
    await t.start();
    await t.outcome(await t.submit('lend', 'A', ['a']));
    await t.outcome(await t.submit('return', 'A', ['a']));
    const again = await t.outcome(await t.submit('return', 'A', ['a']));
    expect(again).toMatchObject({ returnedBookIds: [], refusedBookIds: ['a'] });
    expect((await t.state()).users).toEqual({});
  });
});
