import { compareIds, groupsOf, listDeadLetters, replyEntries, replyField, type RedisClient } from 'tributary';
import { LendingRequested, ReturnRequested } from '@tributary/contracts';
import { lendingKeys as keys } from './keys.ts';

export type EntryKind = 'lend' | 'return' | 'unknown';

const kindOf = (type: string | undefined): EntryKind =>
  type === LendingRequested.type ? 'lend' : type === ReturnRequested.type ? 'return' : 'unknown';

/**
 * Where an undecided request is, for GET /requests/:id: still to be handled
 * (on the stream, not yet delivered to the group or delivered and not acked),
 * dead-lettered, or neither (unknown, or decided so long ago that its outcome
 * expired).
 */
export async function locateRequest(redis: RedisClient, group: string, requestId: string): Promise<
  { where: 'pending'; kind: EntryKind } | { where: 'dead-lettered'; kind: EntryKind; error: string } | { where: 'nowhere' }
> {
  const stream = keys.requests();
  const [entry] = replyEntries(await redis.sendCommand(['XRANGE', stream, requestId, requestId]));
  const flat = entry?.[1];
  if (flat) {
    const type = replyField(flat, 'type');
    const info = (await groupsOf(redis, stream)).find((candidate) => candidate.name === group);
    if (!info || compareIds(requestId, info.lastDeliveredId) > 0) return { where: 'pending', kind: kindOf(type) };
    const pending = await redis.sendCommand<unknown[]>(['XPENDING', stream, group, requestId, requestId, '1']);
    if (pending.length > 0) return { where: 'pending', kind: kindOf(type) };
  }
  // A dead letter is written after its entry, so its id is not smaller: page from there.
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const letters = await listDeadLetters(redis, stream, { count: 200, ...(after ? { after } : { after: previousId(requestId) }) });
    const letter = letters.find((candidate) => candidate.originalId === requestId);
    if (letter) return { where: 'dead-lettered', kind: kindOf(letter.fields.type), error: letter.error };
    if (letters.length < 200) break;
    after = letters[letters.length - 1]!.id;
  }
  return { where: 'nowhere' };
}

/** The id just below `id`, so an exclusive range starting after it includes `id` itself. */
function previousId(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  if (seq !== '0') return `${ms}-${BigInt(seq) - 1n}`;
  return ms === '0' ? '0-0' : `${BigInt(ms) - 1n}-18446744073709551615`;
}
