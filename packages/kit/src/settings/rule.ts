import type { TSchema } from '@sinclair/typebox';

/**
 * The rule a setting's value must follow, in words: one sentence serves both
 * the refusal ("X must be <rule>, got …") and the README's range column, so
 * the two cannot drift apart.
 */
export function describeRule(schema: TSchema): string {
  if (schema.type === 'boolean') return 'a flag (1/0, true/false, yes/no)';
  if (Array.isArray(schema.anyOf)) {
    const choices = (schema.anyOf as TSchema[]).map((choice) => String(choice.const));
    return `one of ${choices.join(', ')}`;
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const kind = schema.type === 'integer' ? 'a whole number' : 'a number';
    const bounds = [
      typeof schema.minimum === 'number' ? `>= ${schema.minimum}` : undefined,
      typeof schema.exclusiveMinimum === 'number' ? `> ${schema.exclusiveMinimum}` : undefined,
      typeof schema.maximum === 'number' ? `<= ${schema.maximum}` : undefined,
      typeof schema.exclusiveMaximum === 'number' ? `< ${schema.exclusiveMaximum}` : undefined,
    ].filter((bound) => bound !== undefined);
    return bounds.length > 0 ? `${kind} ${bounds.join(' and ')}` : kind;
  }
  if (schema.type === 'string' && typeof schema.pattern === 'string') return `a text matching /${schema.pattern}/`;
  if (schema.type === 'string') return typeof schema.minLength === 'number' && schema.minLength > 0 ? 'a non-empty text' : 'a text';
  return 'valid';
}
