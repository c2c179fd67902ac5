import { afterAll, beforeAll, describe } from 'vitest';
import { sagaSuite } from './suites/saga.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

// The saga on a PostgreSQL server (TEST_DATABASE_URL); on PGlite it runs in
// test/pglite-system.test.ts, on the system the PGlite suites share.
describe.skipIf(!process.env.TEST_DATABASE_URL)('a whole system on a PostgreSQL server', () => {
  let t: TestSystem | undefined;
  beforeAll(async () => {
    t = await startTestSystem('postgres');
  }, 180_000);
  afterAll(async () => {
    await t?.stop();
  });
  sagaSuite('postgres', () => {
    if (!t) throw new Error('the system did not start');
    return t;
  });
});
