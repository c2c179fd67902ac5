import type { TObject, TSchema } from '@sinclair/typebox';
import { envName } from './read.ts';
import { describeRule } from './rule.ts';

function defaultText(schema: TSchema): string {
  if (schema.default === undefined) return '—';
  if (typeof schema.default === 'boolean') return schema.default ? '`1`' : '`0`';
  return `\`${String(schema.default)}\``;
}

/** The Markdown rows of one schema's settings: variable, meaning, default, range. */
export function settingsTable(schema: TObject): string[] {
  return (Object.entries(schema.properties) as Array<[string, TSchema]>).map(([key, property]) =>
    `| \`${envName(key, property)}\` | ${String(property.description ?? '').replaceAll('|', '\\|')} | ${defaultText(property)} | ${describeRule(property)} |`);
}
