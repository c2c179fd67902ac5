import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../http/app.ts';
import { openDatabase } from './database.ts';
import { loadPgliteDump } from './pglite-dump.ts';

describe('PGlite dump and load', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'pglite-dump-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('POST /database/dump answers a tarball that loads into a new directory with the same rows, after the transaction in progress, before the next', async () => {
    const source = join(tempDir(), 'db');
    const db = await openDatabase(`pglite://${source}`);
    const app = createHttpApp({ service: 'dump-test', internalKey: null, database: db });
    let tarball: Uint8Array<ArrayBuffer>;
    try {
      await db.query('CREATE TABLE items (id int PRIMARY KEY, name text)');
      await db.query("INSERT INTO items VALUES (1, 'one'), (2, 'two')");
      // A transaction in flight when the dump is asked for: the dump waits for it.
      let release: () => void = () => undefined;
      const held = new Promise<void>((done) => (release = done));
      let inserted: () => void = () => undefined;
      const insertedYet = new Promise<void>((done) => (inserted = done));
      const open = db.transaction(async (tx) => {
        await tx.query("INSERT INTO items VALUES (3, 'in progress')");
        inserted();
        await held;
      });
      await insertedYet;
      const dumped = app.inject({ method: 'POST', url: '/database/dump' });
      release();
      await open;
      const reply = await dumped;
      await db.query("INSERT INTO items VALUES (4, 'after the dump')");
      expect(reply.statusCode).toBe(200);
      expect(reply.headers['content-type']).toBe('application/gzip');
      tarball = Uint8Array.from(reply.rawPayload);
    } finally {
      await app.close();
      await db.close();
    }

    const target = join(tempDir(), 'restored');
    await loadPgliteDump(target, tarball);
    const restored = await openDatabase(`pglite://${target}`);
    try {
      expect((await restored.query<{ id: number; name: string }>('SELECT id, name FROM items ORDER BY id')).rows).toEqual([
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
        { id: 3, name: 'in progress' },
      ]);
    } finally {
      await restored.close();
    }
    await expect(loadPgliteDump(target, tarball)).rejects.toThrow(/not empty/);
  });

  it('has no dump route for a database that cannot dump itself (a PostgreSQL server, or none)', async () => {
    const app = createHttpApp({ service: 'dump-test', internalKey: null });
    expect((await app.inject({ method: 'POST', url: '/database/dump' })).statusCode).toBe(404);
    await app.close();
  });
});
