import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replyPairs } from 'tributary';
import { flushRedis, waitFor } from 'tributary/testing';
import { startShelving } from '../../shelving/src/app.ts';
import { startLending, type LendingService } from '../src/app.ts';
import { lendingSettingsDefaults } from '../src/settings.ts';
import { logger, readState, useLending } from './harness.ts';
import { lendingKeys } from '../src/store/keys.ts';

/**
 * Random sessions of requests and returns by a few users over a few books,
 * processed by two real instances on real Redis, with shelving. Whatever the
 * order the instances take them in, the invariants hold while they work and
 * once they are done.
 */
const t = useLending({ shelving: false });

const USERS = ['u1', 'u2', 'u3', 'u4'];
const BOOKS = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8'];
const CAPACITY = 2;
const MAX_BOOKS = 3;

class InvariantBroken extends Error {}

/** One consistent view of lending's state, read by a script so no change lands halfway through. */
const SNAPSHOT = `
local reserved = {}
for _, key in ipairs(redis.call('KEYS', 'lending:{lending:storage}:reserved:*')) do
  for _, book in ipairs(redis.call('SMEMBERS', key)) do reserved[#reserved + 1] = book end
end
local users = {}
for i, user in ipairs(ARGV) do
  users[i] = { redis.call('GET', 'lending:{user:' .. user .. '}:count') or '0', redis.call('SMEMBERS', 'lending:{user:' .. user .. '}:books') }
end
return { redis.call('HGETALL', 'lending:{lending:storage}:lent'), redis.call('SMEMBERS', 'lending:storage'), reserved, users }
`;

/**
 * `settled`: no request in flight, so the user's side and the inventory's
 * agree exactly. While requests are decided in steps (store/lending.ts) a
 * user may already hold a book that is still reserved for the request (the
 * user's step before the inventory's), or no longer hold one still listed
 * as lent (a return between its two steps); nothing else.
 */
async function checkInvariants(settled = false): Promise<string[]> {
  const [lentFlat, storage, reserved, users] = await t.bus.sendCommand<[unknown, string[], string[], Array<[string, string[]]>]>(['EVAL', SNAPSHOT, '0', ...USERS]);
  const lent = new Map(replyPairs(lentFlat));
  const problems: string[] = [];
  for (const book of lent.keys()) {
    if (storage.includes(book)) problems.push(`${book} is lent and in storage`);
    if (reserved.includes(book)) problems.push(`${book} is lent and reserved`);
  }
  for (const book of storage) if (reserved.includes(book)) problems.push(`${book} is in storage and reserved`);
  if (new Set(reserved).size !== reserved.length) problems.push(`a book is reserved twice: ${reserved.join(',')}`);
  if (storage.length > CAPACITY) problems.push(`storage holds ${storage.length} > ${CAPACITY}`);
  USERS.forEach((user, i) => {
    const [count, books] = users[i] as [string, string[]];
    const lentToUser = [...lent.entries()].filter(([, holder]) => holder === user).map(([book]) => book);
    if (Number(count) !== books.length) problems.push(`${user}: count ${count}, books ${books.length}`);
    if (Number(count) > MAX_BOOKS) problems.push(`${user} holds ${count} > ${MAX_BOOKS}`);
    for (const book of books) {
      if (lent.get(book) !== user && (settled || !reserved.includes(book))) problems.push(`${user} lists ${book}, lent to ${lent.get(book)}`);
    }
    if (settled && lentToUser.length !== books.length) problems.push(`${user}: books ${books.length}, lent ${lentToUser.length}`);
  });
  return problems;
}

const command = fc.record({
  kind: fc.constantFrom('lend' as const, 'return' as const),
  user: fc.constantFrom(...USERS),
  books: fc.uniqueArray(fc.constantFrom(...BOOKS), { minLength: 1, maxLength: 4 }),
});

describe('random sessions keep the invariants', () => {
  it('over many runs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
        await Promise.all([flushRedis(t.bus), flushRedis(t.shelf)]);
        const shelving = await startShelving({ bus: t.bus, store: t.shelf, logger, instance: `shelving-${randomBytes(3).toString('hex')}`, consumer: { blockMs: 50 } });
        const shelvingUrl = await shelving.app.listen({ host: '127.0.0.1', port: 0 });
        const instances: LendingService[] = [];
        try {
          const settings = { ...lendingSettingsDefaults, shelvingUrl, storageCapacity: CAPACITY, maxBooksPerUser: MAX_BOOKS, shelvingBackoffMs: 20 };
          for (let i = 0; i < 2; i++) {
            instances.push(await startLending({ bus: t.bus, logger, settings, instance: `lending-prop-${i}`, consumer: { blockMs: 50, batchSize: 1 } }));
          }
          const ids: string[] = [];
          for (const { kind, user, books } of commands) ids.push(await t.submit(kind, user, books));
          // Checked at every poll while the instances work, not only at the end.
          await waitFor(async () => {
            const problems = await checkInvariants();
            if (problems.length > 0) throw new InvariantBroken(problems.join('; '));
            const decided = await Promise.all(ids.map((id) => t.bus.exists(lendingKeys.outcome(id))));
            return decided.every((one) => one === 1);
          }, { timeoutMs: 20_000, stopOn: (error) => error instanceof InvariantBroken, description: 'all requests decided' });
          await t.settled(20_000);

          expect(await checkInvariants(true)).toEqual([]);
          const state = await readState(t.bus, t.shelf);
          expect(state.leftovers).toEqual([]);
          // At rest every book lending has (lent or in storage) is one shelving counts as handed out, and
          // every book shelving counts as handed out is with lending: none is on a shelf and in lending at once.
          expect(Object.keys(state.out).sort()).toEqual([...Object.keys(state.lent), ...state.storage].sort());
          // One outcome event per request, each valid against its contract (t.events checks).
          const outcomes = (await t.events()).filter((event) => event.type !== 'BooksSentToShelving');
          expect(outcomes.map((event) => (event.data as { requestId: string }).requestId).sort()).toEqual([...ids].sort());
        } finally {
          await Promise.all(instances.map((instance) => instance.close()));
          await shelving.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});
