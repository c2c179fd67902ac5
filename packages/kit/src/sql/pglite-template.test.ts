import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';

describe('fresh PGlite directories seeded from the template', () => {
  const root = mkdtempSync(join(tmpdir(), 'tributary-template-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('are independent databases that keep their data across reopen', async () => {
    const first = await openDatabase(`pglite://${join(root, 'a')}`);
    const second = await openDatabase(`pglite://${join(root, 'nested', 'b')}`);
    await first.query('CREATE TABLE notes (body text)');
    await first.query("INSERT INTO notes VALUES ('kept')");
    const missing = await second.query<{ present: boolean }>("SELECT to_regclass('notes') IS NOT NULL AS present");
    expect(missing.rows[0]?.present).toBe(false);
    await first.close();
    await second.close();

    const reopened = await openDatabase(`pglite://${join(root, 'a')}`);
    expect((await reopened.query<{ body: string }>('SELECT body FROM notes')).rows).toEqual([{ body: 'kept' }]);
    await reopened.close();
  });
});
