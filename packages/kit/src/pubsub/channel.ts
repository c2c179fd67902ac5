import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import '../formats.ts';
import { TributaryError } from '../errors.ts';

/**
 * A pub/sub channel: its full Redis channel name (chosen by the caller, e.g.
 * `catalog:cache:invalidations`) and the schema every message must match.
 */
export interface Channel<Schema extends TSchema = TSchema> {
  readonly name: string;
  readonly schema: Schema;
  /** The first validation problem, or null when `message` is valid. */
  validate(message: unknown): string | null;
}

export type ChannelMessage<C> = C extends Channel<infer Schema> ? Static<Schema> : never;

export function defineChannel<Schema extends TSchema>(name: string, schema: Schema): Channel<Schema> {
  // Patterns are not supported: a `*` here would silently become a PSUBSCRIBE-looking literal.
  if (!/^[^\s*?[\]]+$/.test(name)) throw new TributaryError('TRIB_INVALID_CONFIG', `invalid channel name "${name}"`);
  const compiled = TypeCompiler.Compile(schema);
  return {
    name,
    schema,
    validate(message) {
      if (compiled.Check(message)) return null;
      const first = compiled.Errors(message).First();
      return first ? `${first.path || '/'}: ${first.message}` : 'invalid';
    },
  };
}
