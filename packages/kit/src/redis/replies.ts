/**
 * Raw RESP2 replies of node-redis `sendCommand`, turned into typed values in
 * one place. The kit sends commands raw (see `client.ts` for why RESP2), so
 * the shapes here are the protocol's: flat `[name, value, name, value…]`
 * arrays (HGETALL, CONFIG GET, XINFO, ACL LOG entries, an entry's fields,
 * ZRANGE … WITHSCORES), stream entries `[id, fields]`, and XREAD's
 * `[[stream, entries]…]`. Every parser takes `unknown` and tolerates nil (an
 * empty reply) so callers need no cast; a value the caller cannot use is the
 * caller's to reject, with its own context in the message.
 */

/**
 * A stream entry as Redis replies with it: its id and its flat name/value
 * list, nil for a deleted entry that is still pending.
 */
export type RawEntry = [id: string, fields: string[] | null];

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

const arrayOf = (reply: unknown): readonly unknown[] => (Array.isArray(reply) ? reply : []);

/** A flat `[name, value…]` reply as pairs, values as they came (numbers, nil, nested arrays); a trailing odd element is dropped. */
export function replyPairs(reply: unknown): Array<[name: string, value: unknown]> {
  const flat = arrayOf(reply);
  const pairs: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), flat[i + 1]]);
  return pairs;
}

/** A flat `[name, value…]` reply whose values are nested or typed (XINFO, ACL LOG entries) as a map. */
export function replyMap(reply: unknown): Map<string, unknown> {
  return new Map(replyPairs(reply));
}

/** A list of flat `[name, value…]` replies (XINFO GROUPS, XINFO CONSUMERS, ACL LOG) as maps. */
export function replyMaps(reply: unknown): Array<Map<string, unknown>> {
  return arrayOf(reply).map(replyMap);
}

/**
 * A flat `[name, value…]` reply of strings (HGETALL, CONFIG GET, an entry's
 * fields) as a record; a later duplicate name wins, as XADD's does.
 */
export function replyRecord(reply: unknown): Record<string, string> {
  // A plain loop, no pairs in between: the consumer decodes every entry not written by the kit through here.
  const flat = arrayOf(reply);
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
}

/** One value of a flat `[name, value…]` reply, without building the whole record (hot paths that read one or two fields). */
export function replyField(reply: readonly unknown[] | null | undefined, name: string): string | undefined {
  for (let i = 0; reply && i + 1 < reply.length; i += 2) if (reply[i] === name) return String(reply[i + 1]);
  return undefined;
}

/** A `ZRANGE … WITHSCORES` reply as members with their scores as numbers (`inf` and `-inf` included). */
export function replyScores(reply: unknown): Array<{ member: string; score: number }> {
  return replyPairs(reply).map(([member, score]) => ({ member, score: replyNumber(score) }));
}

/** A number from an integer or bulk-string reply (scores, counters, INFO values); NaN when it is not one. */
export function replyNumber(reply: unknown): number {
  if (typeof reply === 'number') return reply;
  if (typeof reply !== 'string') return Number.NaN;
  if (reply === 'inf' || reply === '+inf') return Number.POSITIVE_INFINITY;
  if (reply === '-inf') return Number.NEGATIVE_INFINITY;
  return reply.trim() === '' ? Number.NaN : Number(reply);
}

/** Stream entries (XRANGE, XREVRANGE, XCLAIM, one stream of XREAD) as they came: id and flat fields. */
export function replyEntries(reply: unknown): RawEntry[] {
  return arrayOf(reply) as RawEntry[];
}

/** Stream entries with their fields as records. */
export function parseEntries(reply: unknown): StreamEntry[] {
  return replyEntries(reply).map(([id, flat]) => ({ id, fields: replyRecord(flat) }));
}

/** An XREAD/XREADGROUP reply (nil when the block timed out) as the entries of each stream read. */
export function replyStreams(reply: unknown): Array<{ stream: string; entries: RawEntry[] }> {
  return arrayOf(reply).map((part) => {
    const [stream, entries] = arrayOf(part);
    return { stream: String(stream), entries: replyEntries(entries) };
  });
}

/** The `name:value` lines of an INFO reply (all sections; `# Section` headings and blank lines skipped). */
export function parseInfo(reply: unknown): Record<string, string> {
  const info: Record<string, string> = {};
  if (typeof reply !== 'string') return info;
  for (const line of reply.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('#')) continue;
    info[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return info;
}
