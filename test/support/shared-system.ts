import { afterAll, beforeAll } from 'vitest';
import { startTestSystem, type TestSystem } from './system.ts';

/**
 * One PGlite system for the suites of test/pglite-system.test.ts, started
 * once for all of them: a whole system's start is some 30 s of CPU, and the
 * suites only add their own users, products and orders. They run one after
 * another in the order the file imports them, so none sees another's work
 * in flight (the fuzz suite, which needs a quiet system, comes first).
 */
let shared: TestSystem | undefined;

beforeAll(async () => {
  shared = await startTestSystem('pglite');
}, 180_000);
afterAll(async () => {
  await shared?.stop();
});

export function sharedSystem(): TestSystem {
  if (!shared) throw new Error('the shared system did not start (see the before-all hook of test/pglite-system.test.ts)');
  return shared;
}
