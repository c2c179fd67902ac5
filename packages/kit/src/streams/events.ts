import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import '../formats.ts';
import { streamKeys } from './keys.ts';

/** A published event type: its name, version, owning service and payload schema. */
export interface EventDefinition<Type extends string = string, Schema extends TSchema = TSchema> {
  readonly type: Type;
  readonly version: number;
  readonly source: string;
  readonly stream: string;
  readonly schema: Schema;
  /** Returns the first validation problem, or null when `data` is valid. */
  validate(data: unknown): string | null;
  is(data: unknown): data is Static<Schema>;
}

export type EventData<Definition> = Definition extends EventDefinition<string, infer Schema> ? Static<Schema> : never;

export function defineEvent<Type extends string, Schema extends TSchema>(spec: {
  source: string;
  type: Type;
  version?: number;
  schema: Schema;
  /**
   * Defaults to the source's event stream `<source>:events`. A service may
   * own further streams of its own, e.g. a command stream `lending:requests`
   * that its HTTP API appends to and its consumer group works through.
   */
  stream?: string;
}): EventDefinition<Type, Schema> {
  // Compiled at first use: every service imports every published definition, and uses a few.
  let compiledSchema: ReturnType<typeof TypeCompiler.Compile<Schema>> | undefined;
  const compiled = () => (compiledSchema ??= TypeCompiler.Compile(spec.schema));
  return {
    type: spec.type,
    version: spec.version ?? 1,
    source: spec.source,
    stream: spec.stream ?? streamKeys.events(spec.source),
    schema: spec.schema,
    validate(data) {
      // Check first: walking the error iterator costs more than validating.
      if (compiled().Check(data)) return null;
      const first = compiled().Errors(data).First();
      return first ? `${first.path || '/'}: ${first.message}` : null;
    },
    is: (data): data is Static<Schema> => compiled().Check(data),
  };
}

/**
 * The same event as found on a stream it was published to before it moved
 * to its own (payments left `accounts:events` for `accounts:payments`): a
 * consumer registers it on the old stream to handle the entries written there
 * before the move, the ones already there at an upgrade included.
 */
export function formerlyOn<D extends EventDefinition>(definition: D, stream: string): D {
  return { ...definition, stream };
}
