import type { TSchema } from '@sinclair/typebox';

// The words the services have always taken for a flag, in any case.
const TRUE = new Set(['1', 'true', 'yes']);
const FALSE = new Set(['0', 'false', 'no']);

/**
 * An environment string as the value its schema asks for, or the string itself
 * when it does not convert (validation then refuses it, naming the rule).
 *
 * Hand-written rather than TypeBox's `Value.Convert` because that one accepts
 * only true/false/1/0 for booleans (the services have always taken yes/no
 * too) and turns "" into 0 for numbers, where an empty variable
 * here means "unset".
 */
export function convertSetting(schema: TSchema, raw: string): unknown {
  if (schema.type === 'boolean') {
    const word = raw.toLowerCase();
    if (TRUE.has(word)) return true;
    if (FALSE.has(word)) return false;
    return raw;
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    if (raw.trim() === '') return raw;
    const value = Number(raw);
    // A whole number past 2^53 is not the number written: refused, as the services always did.
    if (schema.type === 'integer') return Number.isSafeInteger(value) ? value : raw;
    return Number.isFinite(value) ? value : raw;
  }
  if (Array.isArray(schema.anyOf) && (schema.anyOf as TSchema[]).every((choice) => typeof choice.const === 'number')) {
    const value = Number(raw);
    return Number.isFinite(value) ? value : raw;
  }
  return raw;
}
