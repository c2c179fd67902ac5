import type { RedisClient } from '../redis/client.ts';
import { flatten, parseEntries, type StreamEntry } from './commands.ts';
import { streamKeys } from './keys.ts';

/** Fields the kit adds to a dead-lettered entry; the original fields stay as they were. */
export const DEAD_LETTER_FIELDS = {
  stream: 'dlq:stream',
  entryId: 'dlq:entry-id',
  group: 'dlq:group',
  consumer: 'dlq:consumer',
  handler: 'dlq:handler',
  error: 'dlq:error',
  attempts: 'dlq:attempts',
  at: 'dlq:at',
} as const;

/** Set on a replayed entry so only the group that failed it handles it again. */
export const REPLAY_GROUP_FIELD = 'replay:group';

export interface DeadLetter {
  /** Id of the entry in the dead-letter stream. */
  id: string;
  stream: string;
  originalId: string;
  group: string;
  consumer: string;
  handler: string;
  error: string;
  attempts: number;
  at: string;
  /** The original entry's fields, as they were published. */
  fields: Record<string, string>;
}

export interface DeadLetterReason {
  group: string;
  consumer: string;
  handler: string;
  error: string;
  attempts: number;
}

/**
 * Moves dead letters kept under the old name (`<stream>:dlq`, before the
 * key was hash-tagged for Redis Cluster) to `{<stream>}:dlq`: renamed when
 * the new key is absent, otherwise appended in order and the old key
 * removed. Run once by whoever upgrades a server (the launcher, at start,
 * as its admin user); it returns how many letters moved per stream. On one
 * server only: no cluster ever held the old names.
 */
export async function adoptLegacyDeadLetters(redis: RedisClient, streams: readonly string[]): Promise<Record<string, number>> {
  const moved: Record<string, number> = {};
  for (const stream of streams) {
    const legacy = streamKeys.legacyDeadLetters(stream);
    const current = streamKeys.deadLetters(stream);
    const count = Number(await redis.sendCommand(['XLEN', legacy]));
    if (count === 0) continue;
    if (Number(await redis.sendCommand(['EXISTS', current])) === 0) {
      await redis.sendCommand(['RENAME', legacy, current]);
    } else {
      let after = '-';
      for (;;) {
        const entries = parseEntries(await redis.sendCommand(['XRANGE', legacy, after, '+', 'COUNT', '500']));
        if (entries.length === 0) break;
        const multi = redis.multi();
        for (const entry of entries) multi.addCommand(['XADD', current, '*', ...flatten(entry.fields)]);
        multi.addCommand(['XDEL', legacy, ...entries.map((entry) => entry.id)]);
        await multi.exec();
        after = `(${entries[entries.length - 1]?.id ?? '0-0'}`;
      }
      await redis.sendCommand(['DEL', legacy]);
    }
    moved[stream] = count;
  }
  return moved;
}

/**
 * Moves an entry to `{<stream>}:dlq` and acks it in one MULTI, so it is never
 * both lost and acked, nor dead-lettered twice and still pending.
 */
export async function moveToDeadLetters(redis: RedisClient, stream: string, entry: StreamEntry, reason: DeadLetterReason) {
  const original = Object.fromEntries(Object.entries(entry.fields).filter(([name]) => !name.startsWith('dlq:') && name !== REPLAY_GROUP_FIELD));
  const stamped: Record<string, string> = {
    ...original,
    [DEAD_LETTER_FIELDS.stream]: stream,
    [DEAD_LETTER_FIELDS.entryId]: entry.id,
    [DEAD_LETTER_FIELDS.group]: reason.group,
    [DEAD_LETTER_FIELDS.consumer]: reason.consumer,
    [DEAD_LETTER_FIELDS.handler]: reason.handler,
    [DEAD_LETTER_FIELDS.error]: reason.error.slice(0, 2_000),
    [DEAD_LETTER_FIELDS.attempts]: String(reason.attempts),
    [DEAD_LETTER_FIELDS.at]: new Date().toISOString(),
  };
  await redis
    .multi()
    .addCommand(['XADD', streamKeys.deadLetters(stream), '*', ...flatten(stamped)])
    .addCommand(['XACK', stream, reason.group, entry.id])
    .exec();
}

function toDeadLetter(stream: string, entry: StreamEntry): DeadLetter {
  const field = (name: string) => entry.fields[name] ?? '';
  const fields = Object.fromEntries(Object.entries(entry.fields).filter(([name]) => !name.startsWith('dlq:')));
  return {
    id: entry.id,
    stream,
    originalId: field(DEAD_LETTER_FIELDS.entryId),
    group: field(DEAD_LETTER_FIELDS.group),
    consumer: field(DEAD_LETTER_FIELDS.consumer),
    handler: field(DEAD_LETTER_FIELDS.handler),
    error: field(DEAD_LETTER_FIELDS.error),
    attempts: Number(field(DEAD_LETTER_FIELDS.attempts)) || 0,
    at: field(DEAD_LETTER_FIELDS.at),
    fields,
  };
}

export async function listDeadLetters(
  redis: RedisClient,
  stream: string,
  options: { count?: number; after?: string } = {},
): Promise<DeadLetter[]> {
  const start = options.after ? `(${options.after}` : '-';
  const reply = await redis.sendCommand(['XRANGE', streamKeys.deadLetters(stream), start, '+', 'COUNT', String(options.count ?? 100)]);
  return parseEntries(reply).map((entry) => toDeadLetter(stream, entry));
}

/**
 * Puts dead letters back on their stream, marked for the group that failed
 * them (other groups skip the copy), and removes them from the DLQ, in one
 * MULTI each. Returns the ids of the new stream entries.
 */
export async function replayDeadLetters(
  redis: RedisClient,
  stream: string,
  options: { ids?: string[] } = {},
): Promise<string[]> {
  const dlq = streamKeys.deadLetters(stream);
  const letters = options.ids
    ? (await Promise.all(options.ids.map((id) => redis.sendCommand(['XRANGE', dlq, id, id])))).flatMap((reply) =>
        parseEntries(reply).map((entry) => toDeadLetter(stream, entry)),
      )
    : await listDeadLetters(redis, stream, { count: 10_000 });
  const replayed: string[] = [];
  for (const letter of letters) {
    const fields = { ...letter.fields, [REPLAY_GROUP_FIELD]: letter.group };
    const [newId] = await redis
      .multi()
      .addCommand(['XADD', stream, '*', ...flatten(fields)])
      .addCommand(['XDEL', dlq, letter.id])
      .exec();
    replayed.push(String(newId));
  }
  return replayed;
}

export async function countDeadLetters(redis: RedisClient, stream: string): Promise<number> {
  return Number(await redis.sendCommand(['XLEN', streamKeys.deadLetters(stream)]));
}
