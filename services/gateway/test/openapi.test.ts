import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { renderOpenApi } from '../src/openapi.ts';

it('docs/openapi.json matches the gateway routes (run `npm run catalogue` after a route change)', async () => {
  const checkedIn = readFileSync(resolve(import.meta.dirname, '../../../docs/openapi.json'), 'utf8');
  expect(checkedIn).toBe(await renderOpenApi());
});
