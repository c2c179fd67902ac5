import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { spawnLending } from './child.ts';
import { useLending } from './harness.ts';
import { lendingKeys } from '../src/store/keys.ts';

const t = useLending();

describe('a dead instance', () => {
  it('leaves its request in hand to a live instance, which finishes it', async () => {
    const env = { BUS_REDIS_URL: t.busServer.url, SHELVING_URL: t.shelvingUrl, LENDING_CLAIM_IDLE_MS: '500' };
    // This instance dies holding the request after reserving the book and reading the limit.
    const doomed = spawnLending({ ...env, TRIBUTARY_INSTANCE: 'lending-doomed', TRIBUTARY_TEST_HOOKS: '1', LENDING_TEST_CRASH_AT: 'limit-checked' });
    let survivor;
    try {
      await doomed.ready();
      const requestId = await t.submit('lend', 'Salvatore', ['ofmiceandmen']);
      expect((await doomed.exited).signal).toBe('SIGKILL');
      const [pending] = await t.bus.sendCommand<Array<[string, string]>>(['XPENDING', 'lending:requests', 'lending', '-', '+', '10']);
      expect(pending?.slice(0, 2)).toEqual([requestId, 'lending-doomed']);
      expect(await t.bus.sMembers(lendingKeys.reserved(requestId))).toEqual(['ofmiceandmen']);

      // Another instance, under another name: it never restarts the dead one,
      // it claims the idle entry (XAUTOCLAIM) and handles it from its reservations.
      survivor = await t.start({ claimIdleMs: 500 }, { instance: 'lending-survivor' });
      expect(await t.outcome(requestId)).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen'] });
      await waitFor(async () => (await t.bus.sendCommand<unknown[]>(['XPENDING', 'lending:requests', 'lending', '-', '+', '10'])).length === 0);
      const state = await t.state();
      expect(state.lent).toEqual({ ofmiceandmen: 'Salvatore' });
      expect(state.users).toEqual({ Salvatore: { count: 1, books: ['ofmiceandmen'] } });
      expect(state.leftovers).toEqual([]);
      expect(state.out).toEqual({ ofmiceandmen: requestId });
      expect((await t.events()).filter((event) => event.type === 'RequestAccepted')).toHaveLength(1);
    } finally {
      await doomed.stop();
      if (survivor) await t.stop(survivor);
    }
  });
});
