import { describe, expect, it } from 'vitest';
import type { Step } from '../src/domain/steps.ts';
import { useLending } from './harness.ts';
import { lendingKeys } from '../src/store/keys.ts';

const t = useLending();

/**
 * Holds the first `parties` arrivals at a step until all of them are there,
 * then lets them go together: the instances then race for real on the next
 * command, every time, instead of when the scheduler happens to allow it.
 */
function barrierAt(step: Step, parties: number) {
  let arrived = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  return async (reached: Step) => {
    if (reached !== step) return;
    arrived++;
    if (arrived === parties) open();
    if (arrived <= parties) await gate;
  };
}

describe('limits under concurrency', () => {
  it('parallel requests of one user on three instances never take them over the limit', async () => {
    const barrier = barrierAt('limit-checked', 3);
    let limitChecks = 0;
    const onStep = async (step: Step) => {
      if (step === 'limit-checked') limitChecks++;
      await barrier(step);
    };
    // One entry per read, so the three instances share the requests.
    for (let i = 0; i < 3; i++) await t.start({ maxBooksPerUser: 5 }, { onStep, consumer: { batchSize: 1 } });
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await t.submit('lend', 'Salvatore', [`book-${i}`]));
    const outcomes = await Promise.all(ids.map((id) => t.outcome(id, 30_000)));

    expect(outcomes.filter((outcome) => outcome.status === 'ACCEPTED')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome.reason === 'LIMIT_EXCEEDED')).toHaveLength(7);
    // Three instances read the counter at once: two lost the WATCH and decided again.
    expect(limitChecks).toBeGreaterThan(ids.length);
    await t.settled();
    const state = await t.state();
    expect(state.users.Salvatore?.count).toBe(5);
    expect(state.users.Salvatore?.books).toHaveLength(5);
    expect(Object.values(state.lent).filter((userId) => userId === 'Salvatore')).toHaveLength(5);
    // The refused books were compensated into storage; nothing stays reserved.
    expect(state.storage).toHaveLength(7);
    expect(state.leftovers).toEqual([]);
  });
});

describe('two users asking for the same book at the same moment', () => {
  for (const source of ['shelving', 'storage'] as const) {
    it(`exactly one gets it (book from ${source})`, async () => {
      for (let round = 0; round < 4; round++) {
        const book = `contested-${source}-${round}`;
        if (source === 'storage') {
          // Put the book in automated storage the way it gets there: lent, then returned.
          const seeder = await t.start();
          await t.outcome(await t.submit('lend', 'Seeder', [book]));
          await t.outcome(await t.submit('return', 'Seeder', [book]));
          await t.stop(seeder);
          expect(await t.bus.sIsMember('lending:storage', book)).toBe(1);
        }
        const barrier = barrierAt('reservations-recovered', 2);
        const a = await t.start({}, { onStep: barrier, consumer: { batchSize: 1 } });
        const b = await t.start({}, { onStep: barrier, consumer: { batchSize: 1 } });
        const ids = [await t.submit('lend', `Alice${round}`, [book]), await t.submit('lend', `Bob${round}`, [book])];
        const outcomes = await Promise.all(ids.map((id) => t.outcome(id)));
        expect(outcomes.map((outcome) => outcome.status).sort(), JSON.stringify(outcomes)).toEqual(['ACCEPTED', 'REJECTED']);
        const loser = outcomes.find((outcome) => outcome.status === 'REJECTED');
        expect(loser).toMatchObject({ reason: 'NONE_AVAILABLE', bookIdsAtFault: [book] });
        const winner = outcomes.find((outcome) => outcome.status === 'ACCEPTED');
        expect(await t.bus.hGet(lendingKeys.lent(), book)).toBe(winner?.userId);
        expect(await t.bus.sIsMember('lending:storage', book)).toBe(0);
        await t.stop(a);
        await t.stop(b);
      }
    });
  }
});
