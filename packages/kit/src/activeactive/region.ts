import type { RedisClient } from '../redis/client.ts';
import { replyScores } from '../redis/replies.ts';
import { activeActiveKeys, type ActiveActiveKeys } from './keys.ts';
import { applyRemote, runLocal, scripts, type LogEntry, type RemoteOutcome, type WriteOptions } from './operations.ts';

export interface RegionOptions {
  /** This region's own Redis; never another region's. */
  redis: RedisClient;
  /** This region's id, e.g. `eu`: letters, digits, `_` and `-`. Unique among the regions and never reused. */
  region: string;
  /** The data set, the same in every region, e.g. `order-monitoring:aa`. */
  prefix: string;
}

/**
 * One region's handle on Active/Active data. Writes go through scripts that
 * change the value and its metadata and log the operation for the other
 * regions in one step; reads are plain reads of the local value.
 */
export interface Region {
  readonly id: string;
  readonly prefix: string;
  readonly keys: ActiveActiveKeys;
  readonly redis: RedisClient;
  /*
   * Every write takes an optional `{ operationId }` (an event id): the same id
   * is applied once while remembered, so an event handler's redelivery
   * changes nothing. A duplicate returns what a read returns now.
   */
  /** PN-counter: INCRBY / DECRBY (negative `by`); the new local value. */
  incrBy(key: string, by: number, options?: WriteOptions): Promise<number>;
  /** OR-set add (add wins over a concurrent remove). */
  addToSet(key: string, member: string, options?: WriteOptions): Promise<'added' | 'duplicate'>;
  /** OR-set observed remove: `ignored` when this region has not seen the member, as then there is nothing it may remove. */
  removeFromSet(key: string, member: string, options?: WriteOptions): Promise<'removed' | 'ignored' | 'duplicate'>;
  /** LWW string register; the write's clock stamp (a duplicate: the stamp of the value kept). */
  setRegister(key: string, value: string, options?: WriteOptions): Promise<string>;
  /** LWW register of one hash field; the write's clock stamp (a duplicate: the stamp of the value kept). */
  setField(key: string, field: string, value: string, options?: WriteOptions): Promise<string>;
  /** Sorted-set counter: ZINCRBY of `member` by an integer; the new local score. */
  incrMember(key: string, member: string, by: number, options?: WriteOptions): Promise<number>;

  /** GET of a counter, 0 when unset. */
  counter(key: string): Promise<number>;
  /** SMEMBERS, ordered by when each member was first added (for display; as a set it is what SMEMBERS says). */
  members(key: string): Promise<string[]>;
  /** GET of a string register. */
  register(key: string): Promise<string | null>;
  /** HGETALL of a hash register. */
  fields(key: string): Promise<Record<string, string>>;
  /** ZRANGE WITHSCORES, highest first. */
  scores(key: string): Promise<Array<{ member: string; score: number }>>;

  /**
   * Applies another region's log entry (what a replicator calls).
   * `previousId` must be the id of the entry before it in that log ('0-0'
   * for the first): it is applied only when that is the last one applied here.
   */
  applyRemote(source: string, previousId: string, entry: LogEntry): Promise<RemoteOutcome>;
}

const REGION_ID = /^[A-Za-z0-9_-]{1,64}$/;

function checkKey(value: string, what: string): void {
  if (typeof value !== 'string' || value === '') throw new TypeError(`active/active: ${what} must be a non-empty string`);
}

function checkInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`active/active: ${what} must be a safe integer, got ${String(value)}`);
}

/** The first tag's entry time of each member, from the "origin/ms-seq ..." metadata. */
function firstAdded(tags: string): number {
  return Math.min(...tags.split(' ').map((tag) => Number(tag.slice(tag.indexOf('/') + 1).split('-')[0])));
}

export function createRegion(options: RegionOptions): Region {
  const { redis, region } = options;
  if (!REGION_ID.test(region)) throw new TypeError(`active/active: region id must match ${REGION_ID}, got "${region}"`);
  checkKey(options.prefix, 'prefix');
  const keys = activeActiveKeys(options.prefix);

  async function writeField(key: string, field: string, value: string, write: WriteOptions | undefined): Promise<string> {
    checkKey(key, 'key');
    const [outcome, stamp] = await runLocal<string>(redis, keys, region, scripts.register, [keys.log, keys.value(key), keys.meta(key), keys.clock], key, [field, value, ''], write);
    return outcome === 'duplicate' ? ((await redis.hGet(keys.meta(key), field)) ?? '') : (stamp as string);
  }

  return {
    id: region,
    prefix: options.prefix,
    keys,
    redis,
    async incrBy(key, by, write) {
      checkKey(key, 'key');
      checkInteger(by, 'by');
      const [outcome, value] = await runLocal<number>(redis, keys, region, scripts.counter, [keys.log, keys.value(key), keys.meta(key)], key, [String(by)], write);
      return outcome === 'duplicate' ? this.counter(key) : Number(value);
    },
    async addToSet(key, member, write) {
      checkKey(key, 'key');
      checkKey(member, 'member');
      const [outcome] = await runLocal(redis, keys, region, scripts.setAdd, [keys.log, keys.value(key), keys.meta(key), keys.tombstones(key)], key, [member], write);
      return outcome === 'duplicate' ? 'duplicate' : 'added';
    },
    async removeFromSet(key, member, write) {
      checkKey(key, 'key');
      checkKey(member, 'member');
      const [outcome, removed] = await runLocal<'removed' | 'ignored'>(
        redis, keys, region, scripts.setRemove, [keys.log, keys.value(key), keys.meta(key), keys.tombstones(key)], key, [member, ''], write,
      );
      return outcome === 'duplicate' ? 'duplicate' : (removed as 'removed' | 'ignored');
    },
    async setRegister(key, value, write) {
      return writeField(key, '', value, write);
    },
    async setField(key, field, value, write) {
      checkKey(field, 'field');
      return writeField(key, field, value, write);
    },
    async incrMember(key, member, by, write) {
      checkKey(key, 'key');
      checkKey(member, 'member');
      checkInteger(by, 'by');
      const [outcome, score] = await runLocal<string>(redis, keys, region, scripts.sortedIncr, [keys.log, keys.value(key)], key, [member, String(by)], write);
      return Number(outcome === 'duplicate' ? await redis.zScore(keys.value(key), member) : score);
    },

    async counter(key) {
      return Number((await redis.get(keys.value(key))) ?? 0);
    },
    async members(key) {
      const [members, tags] = await Promise.all([redis.sMembers(keys.value(key)), redis.hGetAll(keys.meta(key))]);
      const first = (member: string) => firstAdded(tags[member] ?? '');
      return members.sort((a, b) => first(a) - first(b) || (a < b ? -1 : a > b ? 1 : 0));
    },
    register: (key) => redis.get(keys.value(key)),
    fields: (key) => redis.hGetAll(keys.value(key)),
    async scores(key) {
      return replyScores(await redis.sendCommand(['ZRANGE', keys.value(key), '0', '-1', 'REV', 'WITHSCORES']));
    },

    applyRemote: (source, previousId, entry) => applyRemote(redis, keys, region, source, previousId, entry),
  };
}
