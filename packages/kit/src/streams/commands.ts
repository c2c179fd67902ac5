import type { RedisClient } from '../redis/client.ts';
import { isNoSuchKey, isRedisError } from '../redis/reply-errors.ts';
import { replyEntries, replyMaps, replyStreams, type RawEntry } from '../redis/replies.ts';
import { xaddEnvelopeArgs, type Envelope } from './envelope.ts';

/**
 * The stream commands the kit sends. We send them raw (node-redis
 * `sendCommand`) rather than through the typed helpers so that one parser
 * (`redis/replies.ts`) covers Redis 7.0's replies exactly (e.g. XAUTOCLAIM's
 * third element) and nothing is lost to a transform. The consumer decodes
 * raw entries directly; `parseEntries` turns them into `StreamEntry` objects.
 */
export { parseEntries, type RawEntry, type StreamEntry } from '../redis/replies.ts';

export function flatten(fields: Record<string, string>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(fields)) args.push(name, value);
  return args;
}

/** XADD of an envelope, without an intermediate field object (the publisher's hot path). */
export const xaddEnvelope = (redis: RedisClient, stream: string, envelope: Envelope): Promise<string> =>
  redis.sendCommand<string>(xaddEnvelopeArgs(stream, envelope));

export const xackArgs = (stream: string, group: string, ids: string[]): string[] => ['XACK', stream, group, ...ids];

export async function xreadgroup(
  redis: RedisClient,
  args: { stream: string; group: string; consumer: string; id: string; count: number; blockMs?: number },
): Promise<RawEntry[]> {
  const command = ['XREADGROUP', 'GROUP', args.group, args.consumer, 'COUNT', String(args.count)];
  if (args.blockMs !== undefined) command.push('BLOCK', String(args.blockMs));
  command.push('STREAMS', args.stream, args.id);
  return replyStreams(await redis.sendCommand(command))[0]?.entries ?? [];
}

export async function xautoclaim(
  redis: RedisClient,
  args: { stream: string; group: string; consumer: string; minIdleMs: number; start: string; count: number },
): Promise<{ next: string; entries: RawEntry[] }> {
  const reply = await redis.sendCommand<[string, unknown, unknown?]>([
    'XAUTOCLAIM', args.stream, args.group, args.consumer, String(args.minIdleMs), args.start, 'COUNT', String(args.count),
  ]);
  // Deleted entries come back as nil (Redis 7.0 also drops them from the PEL).
  return { next: reply[0], entries: replyEntries(reply[1]).filter(([, flat]) => flat !== null && flat.length > 0) };
}

export async function xclaim(
  redis: RedisClient,
  args: { stream: string; group: string; consumer: string; ids: string[]; minIdleMs: number },
): Promise<RawEntry[]> {
  return replyEntries(await redis.sendCommand(['XCLAIM', args.stream, args.group, args.consumer, String(args.minIdleMs), ...args.ids]));
}

/** Delivery counts of this consumer's pending entries between two ids. */
export async function pendingDeliveries(
  redis: RedisClient,
  args: { stream: string; group: string; consumer: string; from: string; to: string; count: number },
): Promise<Map<string, number>> {
  const reply = await redis.sendCommand<Array<[string, string, number, number]>>([
    'XPENDING', args.stream, args.group, args.from, args.to, String(args.count), args.consumer,
  ]);
  return new Map(reply.map(([id, , , deliveries]) => [id, Number(deliveries)]));
}

export async function ensureGroup(redis: RedisClient, stream: string, group: string, startId: string): Promise<void> {
  try {
    await redis.sendCommand(['XGROUP', 'CREATE', stream, group, startId, 'MKSTREAM']);
  } catch (error) {
    if (!isRedisError(error, 'BUSYGROUP')) throw error;
  }
}

export interface GroupInfo {
  name: string;
  consumers: number;
  pending: number;
  lastDeliveredId: string;
  /** Entries not yet delivered to the group (Redis 7.0+; null when unknown). */
  lag: number | null;
}

export async function groupsOf(redis: RedisClient, stream: string): Promise<GroupInfo[]> {
  let reply: unknown;
  try {
    reply = await redis.sendCommand(['XINFO', 'GROUPS', stream]);
  } catch (error) {
    if (isNoSuchKey(error)) return [];
    throw error;
  }
  return replyMaps(reply).map((info) => {
    const lag = info.get('lag');
    return {
      name: String(info.get('name')),
      consumers: Number(info.get('consumers')),
      pending: Number(info.get('pending')),
      lastDeliveredId: String(info.get('last-delivered-id')),
      lag: lag === null || lag === undefined ? null : Number(lag),
    };
  });
}

/** The id of a stream's newest entry, or null when it has none (or does not exist). */
export async function lastEntryId(redis: RedisClient, stream: string): Promise<string | null> {
  const [last] = replyEntries(await redis.sendCommand(['XREVRANGE', stream, '+', '-', 'COUNT', '1']));
  return last?.[0] ?? null;
}

/** Smallest pending id of a group, or null when nothing is pending. */
export async function oldestPending(redis: RedisClient, stream: string, group: string): Promise<string | null> {
  const reply = await redis.sendCommand<[number, string | null, string | null, unknown]>(['XPENDING', stream, group]);
  return Number(reply[0]) > 0 ? reply[1] : null;
}

/** Stream entry ids compare by milliseconds, then sequence (as numbers: `10-0` follows `9-0`). */
export function compareIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

export function nextId(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  return `${ms}-${BigInt(seq) + 1n}`;
}
