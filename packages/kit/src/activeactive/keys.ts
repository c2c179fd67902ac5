/**
 * Every key of one region's Active/Active data: `<prefix>:{aa}:…`. They start
 * with the caller's prefix, so a service's ACL (`~<service>:*`) covers them,
 * and share one hash tag, so a script may touch a value, its metadata, the
 * log and the cursors together (one slot on a Cluster; on a standalone server
 * it costs nothing).
 *
 * The same prefix names the same data in every region: region B's replicator
 * reads region A's `log` under the prefix it uses itself.
 */
export function activeActiveKeys(prefix: string) {
  const base = `${prefix}:{aa}`;
  return {
    /** Stream of the operations that originated in this region, in the order they were applied here. */
    log: `${base}:log`,
    /** String: id of the last entry of `source`'s log applied here ("0-0" when absent). */
    cursor: (source: string): string => `${base}:cursor:${source}`,
    /** What `cursor` is built from, for scripts that look up the cursor of a tag's origin. */
    cursorPrefix: `${base}:cursor:`,
    /** String "l:c": this region's hybrid logical clock. */
    clock: `${base}:hlc`,
    /** The value itself, read with plain GET, SMEMBERS, HGET, ZRANGE. */
    value: (key: string): string => `${base}:v:${key}`,
    /** Hash: per-value metadata (counter: region -> contribution; set: member -> tags; register: field -> stamp). */
    meta: (key: string): string => `${base}:m:${key}`,
    /** String with a TTL: a local operation id already applied (an event handler's redelivery is a duplicate). */
    operation: (id: string): string => `${base}:op:${id}`,
    /** Set: tags removed by another region before their add reached this one. */
    tombstones: (key: string): string => `${base}:t:${key}`,
  };
}

export type ActiveActiveKeys = ReturnType<typeof activeActiveKeys>;
