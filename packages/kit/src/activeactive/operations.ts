import { fileURLToPath } from 'node:url';
import type { RedisClient } from '../redis/client.ts';
import { loadLuaScript, runLuaScript, type LuaScript } from '../redis/script.ts';
import type { ActiveActiveKeys } from './keys.ts';

const script = (name: string) => loadLuaScript(fileURLToPath(new URL(`./lua/${name}`, import.meta.url)));
export const scripts = {
  counter: script('counter-4.lua'),
  sortedIncr: script('sortedIncr-3.lua'),
  setAdd: script('setAdd-5.lua'),
  setRemove: script('setRemove-5.lua'),
  register: script('register-5.lua'),
};

/** What applying another region's log entry here did. */
export type RemoteOutcome = 'applied' | 'duplicate' | 'gap';

/** One entry of a region's log: the operation as its origin applied it. */
export interface LogEntry {
  id: string;
  fields: Record<string, string>;
}

/** An entry this version cannot apply; the replicator stops at it rather than skip it. */
export class UnreadableEntryError extends Error {
  constructor(source: string, id: string, why: string) {
    super(`active/active: entry ${id} of region ${source}'s log cannot be applied: ${why}`);
    this.name = 'UnreadableEntryError';
  }
}

interface Call {
  script: LuaScript;
  keys: string[];
  /** Arguments after the common five. */
  args: string[];
}

function need(entry: LogEntry, source: string, ...names: string[]): string[] {
  return names.map((name) => {
    const value = entry.fields[name];
    if (value === undefined) throw new UnreadableEntryError(source, entry.id, `field "${name}" is missing`);
    return value;
  });
}

/** The script call that applies a logged operation, by its type field `t`. */
function remoteCall(keys: ActiveActiveKeys, here: string, source: string, entry: LogEntry): Call {
  const [type, key] = need(entry, source, 't', 'k') as [string, string];
  const cursor = keys.cursor(source);
  switch (type) {
    case 'counter':
      return { script: scripts.counter, keys: [cursor, keys.value(key), keys.meta(key)], args: need(entry, source, 'd') };
    case 'zincr':
      return { script: scripts.sortedIncr, keys: [cursor, keys.value(key)], args: need(entry, source, 'm', 'd') };
    case 'sadd':
      return { script: scripts.setAdd, keys: [cursor, keys.value(key), keys.meta(key), keys.tombstones(key)], args: need(entry, source, 'm') };
    case 'srem':
      return {
        script: scripts.setRemove,
        keys: [cursor, keys.value(key), keys.meta(key), keys.tombstones(key)],
        args: [...need(entry, source, 'm', 'r'), keys.cursorPrefix, here],
      };
    case 'lww':
      return {
        script: scripts.register,
        keys: [cursor, keys.value(key), keys.meta(key), keys.clock],
        args: need(entry, source, 'f', 'v', 's'),
      };
    default:
      throw new UnreadableEntryError(source, entry.id, `unknown operation type "${type}"`);
  }
}

/**
 * Applies `entry` of `source`'s log to this region, provided the last entry
 * applied from `source` is `previousId` (see lua/includes/admit.lua).
 */
export async function applyRemote(
  redis: RedisClient,
  keys: ActiveActiveKeys,
  here: string,
  source: string,
  previousId: string,
  entry: LogEntry,
): Promise<RemoteOutcome> {
  const call = remoteCall(keys, here, source, entry);
  const key = entry.fields.k as string;
  // A remote entry has no operation marker: the placeholder is never touched.
  const [outcome] = await runLuaScript<[RemoteOutcome]>(redis, call.script, [...call.keys, keys.operation('')], ['remote', source, entry.id, previousId, key, ...call.args]);
  return outcome;
}

/** Makes a local write idempotent: the same id is applied once while it is remembered. */
export interface WriteOptions {
  /** Identifies the write, e.g. the id of the event it handles. */
  operationId: string;
  /** How long the id is remembered (default 7 days): a redelivery later than that applies again. */
  rememberSeconds?: number;
}

export const DEFAULT_REMEMBER_SECONDS = 7 * 24 * 60 * 60;

/**
 * Runs a local operation: `['applied', result, entry id]`, or `['duplicate']`
 * when its operation id was applied already (nothing changed).
 */
export function runLocal<Result>(
  redis: RedisClient,
  keys: ActiveActiveKeys,
  region: string,
  script: LuaScript,
  scriptKeys: string[],
  key: string,
  args: string[],
  options: WriteOptions | undefined,
) {
  if (options !== undefined && (typeof options.operationId !== 'string' || options.operationId === '')) {
    throw new TypeError('active/active: operationId must be a non-empty string');
  }
  const marker = keys.operation(options?.operationId ?? '');
  const remember = options === undefined ? '' : String(options.rememberSeconds ?? DEFAULT_REMEMBER_SECONDS);
  return runLuaScript<[string, Result?, string?]>(redis, script, [...scriptKeys, marker], ['local', region, remember, '', key, ...args]);
}
