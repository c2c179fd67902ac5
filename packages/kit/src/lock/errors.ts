/** `withLock` could not take the lock within `waitMs`. */
export class LockTimeoutError extends Error {
  readonly code = 'LOCK_TIMEOUT' as const;
  constructor(readonly lock: string, readonly waitMs: number) {
    super(`lock ${lock} is held by another holder; gave up after ${waitMs} ms`);
    this.name = 'LockTimeoutError';
  }
}

/**
 * The lease ended while the work was running: `taken` when Redis said
 * another holder has it (or it expired and is gone), `expired` when this
 * process could not renew it before its own clock said it ran out.
 */
export class LockLostError extends Error {
  readonly code = 'LOCK_LOST' as const;
  constructor(readonly lock: string, readonly reason: 'taken' | 'expired') {
    super(reason === 'taken' ? `lock ${lock} was lost: another holder has it or it expired` : `lock ${lock} expired before it could be renewed`);
    this.name = 'LockLostError';
  }
}
