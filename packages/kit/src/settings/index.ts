/**
 * Service settings from the environment, declared once as a TypeBox schema:
 * each property names its variable (`env`), its `default`, its range and a
 * one-line `description`; readSettings reads and checks them, describeRule
 * and settingsTable document them.
 */
export { readSettings, validateSettings, envName } from './read.ts';
export { describeRule } from './rule.ts';
export { settingsTable } from './table.ts';
