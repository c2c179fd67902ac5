/**
 * Every Redis key of the shelving service is built here and nowhere else.
 * All live in shelving's own store Redis, under the prefix `shelving:`.
 *
 * The library has every book one can imagine (the book's chapter 5), so a
 * book is on a shelf unless it is listed as handed out: shelving only
 * records the exceptions.
 *
 * Redis Cluster: applying a BooksSentToShelving changes the handed-out hash
 * and marks the event in one script, so the marker carries the hash's name as
 * its hash tag (`shelving:{shelving:out}:handled:…`, the hash's own slot; a
 * key without braces hashes whole). Shelving's state is that one hash, a
 * field per book out; were it to outgrow a shard, a hash per book (and a
 * step per book of an event) would spread it.
 */
export const SERVICE = 'shelving';
const PREFIX = `${SERVICE}:`;

export const shelvingKeys = {
  /** Hash: bookId -> id of the lending request the book was handed to. */
  out: (): string => `${PREFIX}out`,
  /**
   * String with a TTL: a BooksSentToShelving event (by its envelope id) was
   * applied. Makes shelving exactly-once per event: a redelivery after the
   * book was handed out again must not put it back on the shelf.
   */
  handled: (eventId: string): string => `${PREFIX}{${PREFIX}out}:handled:${eventId}`,
} as const;

/** How long a handled marker is kept: far longer than any redelivery window (7 days). */
export const HANDLED_TTL_SECONDS = 7 * 24 * 60 * 60;
