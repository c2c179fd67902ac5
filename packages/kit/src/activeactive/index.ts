export { createRegion, type Region, type RegionOptions } from './region.ts';
export { createReplicator, replicatorDefaults, type Replicator, type ReplicatorOptions } from './replicator.ts';
export { activeActiveKeys, type ActiveActiveKeys } from './keys.ts';
export { UnreadableEntryError, DEFAULT_REMEMBER_SECONDS, type LogEntry, type RemoteOutcome, type WriteOptions } from './operations.ts';
/** The Lua scripts, e.g. to SCRIPT LOAD them ahead or drive one from redis-benchmark. */
export { scripts as activeActiveScripts } from './operations.ts';
export { replicationStatus, type ReplicationStatus } from './status.ts';
export { trimLog } from './trim.ts';
export { parseRegionsEnv, type RegionsEnv } from './env.ts';
