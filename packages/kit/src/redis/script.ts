import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { TributaryError } from '../errors.ts';
import { activeTraceSampled, SpanKind, withSpan } from '../telemetry/tracing.ts';
import { fromScriptError, isRedisError } from './reply-errors.ts';
import type { RedisClient } from './client.ts';

export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly source: string;
  readonly sha: string;
}

/** BullMQ's include line: `--- @include "includes/name"`, relative to the including file, `.lua` implied. */
const INCLUDE = /^--- @include "([^"]+)"\s*$/gm;

/**
 * A script's text with its includes inlined, each file once (Redis runs one
 * self-contained text; helpers shared by several scripts live in their own
 * file instead of being copied into each).
 */
function expandIncludes(path: string, seen: Set<string>): string {
  return readFileSync(path, 'utf8').replace(INCLUDE, (_line, name: string) => {
    const included = resolve(dirname(path), name.endsWith('.lua') ? name : `${name}.lua`);
    if (seen.has(included)) return '';
    seen.add(included);
    return expandIncludes(included, seen);
  });
}

/**
 * Loads a script file named `camelName-<numberOfKeys>.lua` (BullMQ's
 * convention: the header lists KEYS, ARGV and the reply; shared helpers come
 * in with `--- @include "includes/name"`).
 */
export function loadLuaScript(path: string): LuaScript {
  const match = /^([A-Za-z0-9]+)-(\d+)\.lua$/.exec(basename(path));
  if (!match) throw new TributaryError('TRIB_BAD_ARGUMENTS', `script file name must be camelName-<numberOfKeys>.lua: ${path}`);
  const source = expandIncludes(path, new Set([resolve(path)]));
  return { name: match[1] as string, numberOfKeys: Number(match[2]), source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Refuses a call with another number of keys than the script's file name says. */
export function checkKeyCount(script: LuaScript, keys: readonly string[]): void {
  if (keys.length !== script.numberOfKeys) {
    throw new TributaryError('TRIB_BAD_ARGUMENTS', `${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  }
}

/**
 * EVALSHA, falling back to EVAL on NOSCRIPT (after a restart or SCRIPT
 * FLUSH). Call it on its own, never queued inside MULTI: there a NOSCRIPT
 * fails alone while the rest of the transaction commits. A script is already
 * atomic; put the ack after it, not beside it. A script's coded error
 * (`redis.error_reply('TRIB_… detail')`) rejects as a TributaryError.
 */
export async function runLuaScript<Reply = unknown>(
  redis: RedisClient,
  script: LuaScript,
  keys: string[],
  args: Array<string | number>,
): Promise<Reply> {
  checkKeyCount(script, keys);
  // No span, and no attributes built, outside a recorded trace.
  if (!activeTraceSampled()) return evalScript<Reply>(redis, script, keys, args);
  return withSpan(`EVALSHA ${script.name}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis', 'db.operation.name': 'EVALSHA' } }, () =>
    evalScript<Reply>(redis, script, keys, args),
  );
}

async function evalScript<Reply>(redis: RedisClient, script: LuaScript, keys: string[], args: Array<string | number>): Promise<Reply> {
  const tail = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return await redis.sendCommand<Reply>(['EVALSHA', script.sha, ...tail]);
  } catch (error) {
    if (!isRedisError(error, 'NOSCRIPT')) throw fromScriptError(error);
  }
  try {
    return await redis.sendCommand<Reply>(['EVAL', script.source, ...tail]);
  } catch (error) {
    throw fromScriptError(error);
  }
}
