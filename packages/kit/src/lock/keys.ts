/**
 * The keys of one lock. The lock's name is the hash tag so the lock and its
 * token counter share a Cluster slot (the acquire script touches both).
 */
export function lockKeys(prefix: string, name: string) {
  const base = `${prefix}:{${name}}`;
  return {
    /** String `<token>:<holder nonce>` with a PX expiry; absent when free. */
    lock: base,
    /** String counter: the last fencing token handed out; never expires. */
    fence: `${base}:fence`,
  };
}

/** A fenced resource: one hash holding the value and the highest token seen, so one key suffices. */
export function fencedResourceKey(prefix: string, resource: string): string {
  return `${prefix}:{${resource}}`;
}
