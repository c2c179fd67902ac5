import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { BEGIN, END, renderServiceSettings } from '../scripts/service-settings.ts';

it('the README\'s service settings match the services\' settings schemas (run `npm run catalogue` after a settings change)', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  expect(begin, 'README.md has the service-settings markers').toBeGreaterThanOrEqual(0);
  expect(readme.slice(begin, end + END.length)).toBe(renderServiceSettings());
});
