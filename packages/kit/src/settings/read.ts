import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { TributaryError } from '../errors.ts';
import { convertSetting } from './convert.ts';
import { describeRule } from './rule.ts';

/** The environment variable a setting is read from, kept on the schema as an extra keyword. */
export function envName(key: string, schema: TSchema): string {
  if (typeof schema.env !== 'string') throw new TributaryError('TRIB_INVALID_CONFIG', `setting ${key} has no env keyword naming its variable`);
  return schema.env;
}

/**
 * Reads a service's settings from the environment: each property of the
 * schema names its variable with `env`; an unset or empty variable takes the
 * schema's `default`; a value that breaks its rule is refused with
 * TRIB_INVALID_CONFIG (exit code 78 under runService), naming the variable,
 * the value given and the rule.
 */
export function readSettings<Schema extends TObject>(schema: Schema, env: NodeJS.ProcessEnv = process.env): Static<Schema> {
  const values: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties) as Array<[string, TSchema]>) {
    const name = envName(key, property);
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (property.default !== undefined) values[key] = property.default;
      else if (!schema.required?.includes(key)) continue;
      else throw new TributaryError('TRIB_INVALID_CONFIG', `${name} is not set`);
      continue;
    }
    const value = convertSetting(property, raw);
    // Checked one property at a time so the refusal can name the variable, not a JSON pointer.
    if (!Value.Check(property, value)) throw new TributaryError('TRIB_INVALID_CONFIG', `${name} must be ${describeRule(property)}, got "${raw}"`);
    values[key] = value;
  }
  return validateSettings(schema, values);
}

/**
 * Checks settings already in their types (an in-process service given its
 * settings by a test or a caller) against the same schema, with the same
 * refusal as readSettings.
 */
export function validateSettings<Schema extends TObject>(schema: Schema, values: Record<string, unknown>): Static<Schema> {
  for (const [key, property] of Object.entries(schema.properties) as Array<[string, TSchema]>) {
    if (values[key] === undefined && !schema.required?.includes(key)) continue;
    if (!Value.Check(property, values[key])) throw new TributaryError('TRIB_INVALID_CONFIG', `${envName(key, property)} must be ${describeRule(property)}, got ${JSON.stringify(values[key]) ?? 'nothing'}`);
  }
  // The whole object once more: additional keywords on the object (none today) would be checked here.
  if (!Value.Check(schema, values)) throw new TributaryError('TRIB_INVALID_CONFIG', `settings do not match their schema: ${[...Value.Errors(schema, values)].map((error) => `${error.path} ${error.message}`).join('; ')}`);
  return values as Static<Schema>;
}
