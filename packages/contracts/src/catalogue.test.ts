import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { renderEventCatalogue } from './catalogue.ts';

it('docs/events.md matches the published schemas (run `npm run catalogue` after a schema change)', () => {
  const checkedIn = readFileSync(resolve(import.meta.dirname, '../../../docs/events.md'), 'utf8');
  expect(checkedIn).toBe(renderEventCatalogue());
});
