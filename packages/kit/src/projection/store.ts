/**
 * What a projection needs from the place its read model lives: a checkpoint
 * per source stream, and applying entries *atomically with* moving that
 * checkpoint, guarded by the checkpoint still being what the caller read.
 * That guard is what makes an entry apply at most once even with two
 * instances, a redelivery or a rebuild racing the live loop. Implement it for
 * any store (a SQL transaction with `SELECT … FOR UPDATE` on the checkpoint
 * row does it); `createRedisProjectionStore` is the ready-made Redis one.
 */
export interface ApplyEntry<Tx> {
  /** Stream entry id; the checkpoint moves to it once the entry is applied or passed over. */
  id: string;
  /** The entry's effect; null when there is none (an event this projection ignores, an invalid or skipped entry). */
  apply: ((tx: Tx) => void | Promise<void>) | null;
}

export interface ApplyResult {
  /** The last entry id this call committed (effects and checkpoint), or null if it committed nothing. */
  committedThrough: string | null;
  /** Set when the stored checkpoint was not the expected one: the checkpoint found. Nothing more was applied. */
  conflict: string | null;
  /** An `apply` threw: everything before that entry is committed, it and the rest are not. */
  failure: { entryId: string; error: Error } | null;
  /** The commit went through but the store reported errors for some effects (Redis does not roll back a MULTI). */
  commitError?: Error;
}

export interface ProjectionStore<Tx> {
  /** Opens what the store needs (e.g. a dedicated connection); called by `start()`. */
  open?(): Promise<void>;
  close?(): Promise<void>;
  /** The stored checkpoint of each stream, '0' for a stream never applied. */
  checkpoints(streams: readonly string[]): Promise<Record<string, string>>;
  /** Applies `entries` in order, only if the checkpoint of `stream` is `expected`; see `ApplyResult`. */
  applyBatch(stream: string, expected: string, entries: ReadonlyArray<ApplyEntry<Tx>>): Promise<ApplyResult>;
  /** Clears the read model and sets every checkpoint to '0', atomically with respect to `applyBatch`. */
  reset(streams: readonly string[]): Promise<void>;
}
