import { describe, expect, it } from 'vitest';
import { MultiErrorReply } from '@redis/client';
import type { Step } from '../src/domain/steps.ts';
import { lendingKeys } from '../src/store/keys.ts';
import { takeLoanScript } from '../src/store/scripts.ts';
import { execScriptAlone } from '../src/store/transaction.ts';
import { useLending, type LendingState } from './harness.ts';

const t = useLending({ bus: { appendOnly: true } });

/** Every book is in exactly one place: lent, in storage, or (at rest) back on a shelf. */
function expectConsistent(state: LendingState, books: string[]) {
  expect(state.leftovers).toEqual([]);
  for (const book of books) {
    const places = [book in state.lent, state.storage.includes(book)].filter(Boolean).length;
    expect(places, book).toBeLessThanOrEqual(1);
    // Lent or in storage means handed out by shelving (not on a shelf, so not lendable twice); else on a shelf.
    expect(book in state.out, book).toBe(places === 1);
  }
}

describe('the script cache goes away (SCRIPT FLUSH, Redis restart)', () => {
  it('SCRIPT FLUSH between requests: every request still decided, no book lost', async () => {
    await t.start({ storageCapacity: 1, maxBooksPerUser: 2 });
    const flush = () => t.bus.sendCommand(['SCRIPT', 'FLUSH']);
    const outcomes = [];
    for (const [kind, userId, books] of [
      ['lend', 'A', ['a', 'b']], ['return', 'A', ['a', 'b']], ['lend', 'B', ['a', 'c']], ['lend', 'B', ['d']], ['return', 'B', ['c']],
    ] as const) {
      await flush();
      outcomes.push(await t.outcome(await t.submit(kind, userId, [...books])));
    }
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['ACCEPTED', 'PROCESSED', 'ACCEPTED', 'REJECTED', 'PROCESSED']);
    await t.settled();
    const state = await t.state();
    expect(state.lent).toEqual({ a: 'B' });
    expect(state.users).toEqual({ B: { count: 1, books: ['a'] } });
    expectConsistent(state, ['a', 'b', 'c', 'd']);
  });

  for (const path of ['commit', 'compensation'] as const) {
    // Commit: the user's step is alone in MULTI under WATCH, so NOSCRIPT fails it whole and the limit is read again.
    // Compensation: the limit read refuses before any MULTI; the undo is a plain EVALSHA, which loads the script itself.
    it(`SCRIPT FLUSH between WATCH and EXEC (${path}): nothing applied twice, the scripts loaded again`, async () => {
      const target = path === 'commit' ? 'B' : 'A';
      let checks = 0;
      let armed = false;
      const onStep = async (step: Step) => {
        if (step !== 'limit-checked' || !armed) return;
        checks++;
        // Exactly once: the next EXEC meets an empty script cache.
        if (checks === 1) await t.bus.sendCommand(['SCRIPT', 'FLUSH']);
      };
      await t.start({ maxBooksPerUser: 1 }, { onStep });
      await t.outcome(await t.submit('lend', 'A', ['held']));
      armed = true;
      const id = await t.submit('lend', target, ['wanted']);
      const outcome = await t.outcome(id);
      expect(outcome.status).toBe(path === 'commit' ? 'ACCEPTED' : 'REJECTED');
      // Commit: the limit was read twice, the first EXEC having failed with NOSCRIPT.
      expect(checks).toBe(path === 'commit' ? 2 : 1);
      await t.settled();
      const state = await t.state();
      expectConsistent(state, ['held', 'wanted']);
      expect((await t.events()).filter((event) => (event.data as { requestId: string }).requestId === id)).toHaveLength(1);
    });
  }

  it('Redis restarts on its AOF between requests: state survives, scripts are reloaded, no book lost', async () => {
    await t.start({ storageCapacity: 1 });
    const first = await t.outcome(await t.submit('lend', 'A', ['a', 'b']));
    expect(first.status).toBe('ACCEPTED');
    await t.restartBus();
    expect(await t.bus.sendCommand<number[]>(['SCRIPT', 'EXISTS', takeLoanScript.sha])).toEqual([0]);
    // The service's connections (and its consumer's) reconnect by themselves.
    const back = await t.outcome(await t.submit('return', 'A', ['a', 'b']), 30_000);
    expect(back).toMatchObject({ status: 'PROCESSED', returnedBookIds: ['a', 'b'] });
    const again = await t.outcome(await t.submit('lend', 'B', ['a', 'c']), 30_000);
    expect(again).toMatchObject({ status: 'ACCEPTED', bookIds: ['a', 'c'] });
    await t.settled(30_000);
    const state = await t.state();
    expect(state.lent).toEqual({ a: 'B', c: 'B' });
    expectConsistent(state, ['a', 'b', 'c']);
  });
});

describe('the trap this design avoids', () => {
  it('MULTI [EVALSHA unknown, XACK]: NOSCRIPT fails alone and the XACK commits, the request is lost', async () => {
    // A request pending in the group, as a consumer sees it mid-handling.
    const requestId = await t.submit('lend', 'Salvatore', ['ofmiceandmen']);
    await t.bus.sendCommand(['XGROUP', 'CREATE', 'lending:requests', 'lending', '0']);
    await t.bus.sendCommand(['XREADGROUP', 'GROUP', 'lending', 'victim', 'COUNT', '1', 'STREAMS', 'lending:requests', '>']);
    await t.bus.sendCommand(['SCRIPT', 'FLUSH']);

    // What a "script then ack in one transaction" looks like, after a restart or SCRIPT FLUSH.
    let trapped: MultiErrorReply | null = null;
    try {
      await t.bus.multi()
        .addCommand(['EVALSHA', takeLoanScript.sha, '4', lendingKeys.userCount('Salvatore'), lendingKeys.userBooks('Salvatore'), lendingKeys.userStep('Salvatore', requestId), lendingKeys.userPending('Salvatore'), '5', '60', 'ofmiceandmen'])
        .addCommand(['XACK', 'lending:requests', 'lending', requestId])
        .exec();
    } catch (error) {
      if (error instanceof MultiErrorReply) trapped = error;
      else throw error;
    }
    expect(trapped).not.toBeNull();
    expect(String((trapped!.replies[0] as Error).message)).toMatch(/^NOSCRIPT/);
    expect(trapped!.replies[1]).toBe(1); // the XACK ran: EXEC is not all-or-nothing on command errors
    // The entry is acked, so no consumer will ever see it again, yet nothing was decided.
    expect(await t.bus.sendCommand(['XPENDING', 'lending:requests', 'lending', '-', '+', '10'])).toEqual([]);
    expect(await t.bus.exists(lendingKeys.outcome(requestId))).toBe(0);
    expect(await t.bus.exists(lendingKeys.userCount('Salvatore'))).toBe(0);
  });

  it('the same situation with the script ALONE in MULTI: nothing happens, the entry stays pending', async () => {
    const requestId = await t.submit('lend', 'Salvatore', ['ofmiceandmen']);
    await t.bus.sendCommand(['XGROUP', 'CREATE', 'lending:requests', 'lending', '0']);
    await t.bus.sendCommand(['XREADGROUP', 'GROUP', 'lending', 'careful', 'COUNT', '1', 'STREAMS', 'lending:requests', '>']);
    await t.bus.sendCommand(['SCRIPT', 'FLUSH']);
    const connection = t.bus.duplicate();
    await connection.connect();
    try {
      const keys = [lendingKeys.userCount('Salvatore'), lendingKeys.userBooks('Salvatore'), lendingKeys.userStep('Salvatore', requestId), lendingKeys.userPending('Salvatore')];
      const result = await execScriptAlone(connection, takeLoanScript, keys, ['5', '60', 'ofmiceandmen']);
      expect(result).toEqual({ kind: 'noscript' });
      const pending = await t.bus.sendCommand<Array<[string]>>(['XPENDING', 'lending:requests', 'lending', '-', '+', '10']);
      expect(pending.map(([id]) => id)).toEqual([requestId]);
      // ...and it was loaded for the next round.
      expect(await t.bus.sendCommand<number[]>(['SCRIPT', 'EXISTS', takeLoanScript.sha])).toEqual([1]);
    } finally {
      await connection.close();
    }
  });
});
