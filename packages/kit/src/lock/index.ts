export { createLocks, lockDefaults, type Locks, type LockOptions, type AcquireOptions, type WithLockOptions } from './locks.ts';
export { type Lease } from './lease.ts';
export { type HeldLock } from './watchdog.ts';
export { createFencedStore, type FencedStore, type FencedWriteResult } from './fenced.ts';
export { LockLostError, LockTimeoutError } from './errors.ts';
export { lockKeys, fencedResourceKey } from './keys.ts';
