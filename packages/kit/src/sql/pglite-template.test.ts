import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';
import { seedFromTemplate } from './pglite-template.ts';

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

  it("run with the kit's memory settings: small shared buffers and ANALYZE samples (WASM memory never shrinks)", async () => {
    const db = await openDatabase(`pglite://${join(root, 'settings')}`);
    const { rows } = await db.query<{ buffers: string; target: string }>(
      "SELECT current_setting('shared_buffers') AS buffers, current_setting('default_statistics_target') AS target",
    );
    expect(rows).toEqual([{ buffers: '8MB', target: '10' }]);
    await db.close();
  });
});

describe('building the template', () => {
  const root = mkdtempSync(join(tmpdir(), 'tributary-template-build-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lets several services start at once: each gets a copy, the lock is given back', async () => {
    const templates = join(root, 'concurrent');
    mkdirSync(templates);
    await Promise.all(['a', 'b', 'c'].map((name) => seedFromTemplate(join(root, name), templates)));
    // One template, no builder's leftovers, the lock given back.
    expect(readdirSync(templates)).toEqual([expect.stringMatching(/^tributary-pglite-template-[^.]+(\.\d+)*$/)]);
    for (const name of ['a', 'b', 'c']) expect(existsSync(join(root, name, 'PG_VERSION'))).toBe(true);
  });

  it('is not blocked for good by the lock of a builder that died', async () => {
    const templates = join(root, 'stale');
    mkdirSync(templates);
    const [template] = readdirSync(join(root, 'concurrent'));
    const lock = join(templates, `${template}.lock`);
    mkdirSync(lock);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(lock, longAgo, longAgo);
    await seedFromTemplate(join(root, 'd'), templates);
    expect(existsSync(join(root, 'd', 'PG_VERSION'))).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});
