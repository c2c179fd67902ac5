import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import '../formats.ts';

/** What a cache entry holds: a value, or the loader's answer "there is none" (negative caching). */
export type CacheEntry<T> = { found: true; value: T } | { found: false };

export type Decoded<T> = { ok: true; entry: CacheEntry<T> } | { ok: false; reason: string };

export interface EntryCodec<T> {
  /** A problem instead of a payload when the value does not match the schema: such a value is never stored. */
  encode(value: T | null): { payload: string } | { problem: string };
  /** Never throws: anything unreadable is reported as not ok, and the caller treats it as a miss. */
  decode(payload: string): Decoded<T>;
}

/** JSON entries, validated against the value's schema on the way in and on the way out. */
export function entryCodec<S extends TSchema>(schema: S): EntryCodec<Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  const problemOf = (value: unknown): string => {
    const first = compiled.Errors(value).First();
    return first ? `${first.path || '/'}: ${first.message}` : 'invalid';
  };
  return {
    encode(value) {
      if (value === null) return { payload: '{"found":false}' };
      if (!compiled.Check(value)) return { problem: problemOf(value) };
      return { payload: JSON.stringify({ found: true, value }) };
    },
    decode(payload) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch {
        return { ok: false, reason: 'not JSON' };
      }
      if (typeof parsed !== 'object' || parsed === null || !('found' in parsed)) return { ok: false, reason: 'not a cache entry' };
      if (parsed.found === false) return { ok: true, entry: { found: false } };
      if (parsed.found !== true || !('value' in parsed)) return { ok: false, reason: 'not a cache entry' };
      if (!compiled.Check(parsed.value)) return { ok: false, reason: `value: ${problemOf(parsed.value)}` };
      return { ok: true, entry: { found: true, value: parsed.value as Static<S> } };
    },
  };
}
