import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveEventId } from 'tributary';
import { testDatabases } from 'tributary/testing';
import { buildPackage, type PackageDoc } from '../src/domain/build-package.ts';
import { explainListByTag, insertPackages } from '../src/store/packages-store.ts';
import { TEST_WAREHOUSE, usePackage, type Harness } from './harness.ts';

const COUNTRIES = ['GB', 'FR', 'DE', 'US', 'JP'] as const;

/** A package document as the handler would build it, for order number `n`. */
function doc(n: number, units: number, country: string): PackageDoc {
  const made = buildPackage(
    { orderId: `order-${n}`, userId: `user-${n % 7}`, physicalItems: [{ productId: `p-${n % 3}`, quantity: units }], shipTo: { country, address: `${n} High Street` } },
    TEST_WAREHOUSE,
  );
  if (!made) throw new Error('no package');
  return made;
}

/** Inserts documents one transaction each, so creation times are in insertion order. */
async function insertAll(h: Harness, docs: PackageDoc[]): Promise<void> {
  await h.db.transaction((tx) => insertPackages(tx, docs));
}

describe.each(testDatabases())('package HTTP API ($kind)', ({ create }) => {
  const t = usePackage(create);

  it('GET /packages/:id → the document with createdAt; unknown → 404 PACKAGE_NOT_FOUND; malformed id → 400', async () => {
    const h = t.current;
    const one = doc(1, 4, 'GB');
    await insertAll(h, [one]);
    const found = await h.get(`/packages/${one.packageId}`);
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ ...one, createdAt: expect.any(String) });
    expect(Date.parse(String(found.body.createdAt))).not.toBeNaN();

    expect(await h.get(`/packages/${deriveEventId(randomUUID(), 'package')}`)).toEqual({
      status: 404,
      body: { error: 'PACKAGE_NOT_FOUND', message: expect.any(String) },
    });
    for (const bad of ['not%20an%20id', 'a'.repeat(65), '%E2%9C%88']) {
      const reply = await h.get(`/packages/${bad}`);
      expect(reply, bad).toEqual({ status: 400, body: { error: 'VALIDATION_FAILED', message: expect.any(String) } });
    }
  });

  it('GET /packages?tag= lists matching packages newest first, page by page, each exactly once', async () => {
    const h = t.current;
    const docs = Array.from({ length: 23 }, (_, n) => doc(n, 1 + (n % 12), COUNTRIES[n % COUNTRIES.length] as string));
    await insertAll(h, docs);
    const multi = docs.filter((one) => one.tags.includes('multi-item')).map((one) => one.packageId);
    expect(multi.length).toBeGreaterThan(8);

    const seen: string[] = [];
    const created: string[] = [];
    let url = '/packages?tag=multi-item&limit=4';
    for (let page = 0; page < 20; page++) {
      const reply = await h.get(url);
      expect(reply.status).toBe(200);
      const items = reply.body.items as Array<{ packageId: string; tags: string[]; createdAt: string }>;
      expect(items.length).toBeLessThanOrEqual(4);
      for (const item of items) {
        expect(item.tags).toContain('multi-item');
        seen.push(item.packageId);
        created.push(item.createdAt);
      }
      if (reply.body.next === null) break;
      url = `/packages?tag=multi-item&limit=4&after=${String(reply.body.next)}`;
    }
    expect([...seen].sort()).toEqual([...multi].sort());
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first.
    expect([...created].sort().reverse()).toEqual(created);

    const gb = await h.get('/packages?tag=country-gb');
    expect((gb.body.items as unknown[]).length).toBe(docs.filter((one) => one.tags.includes('country-gb')).length);
    expect(gb.body.next).toBeNull();
    expect(await h.get('/packages?tag=country-zz')).toEqual({ status: 200, body: { items: [], next: null } });
  });

  it('bad queries → 400 and nothing else', async () => {
    const h = t.current;
    await insertAll(h, [doc(1, 1, 'GB')]);
    const cases: Array<[string, string]> = [
      ['/packages', 'VALIDATION_FAILED'],
      ['/packages?tag=', 'VALIDATION_FAILED'],
      ['/packages?tag=Heavy', 'VALIDATION_FAILED'],
      ['/packages?tag=heavy%20stuff', 'VALIDATION_FAILED'],
      [`/packages?tag=${'a'.repeat(41)}`, 'VALIDATION_FAILED'],
      ['/packages?tag=heavy&limit=0', 'VALIDATION_FAILED'],
      ['/packages?tag=heavy&limit=101', 'VALIDATION_FAILED'],
      ['/packages?tag=heavy&limit=abc', 'VALIDATION_FAILED'],
      ['/packages?tag=heavy&limit=2.5', 'VALIDATION_FAILED'],
      ['/packages?tag=heavy&after=not%20an%20id', 'VALIDATION_FAILED'],
      ['/packages?tag=heavy&colour=red', 'VALIDATION_FAILED'],
      [`/packages?tag=heavy&after=${randomUUID()}`, 'INVALID_CURSOR'],
    ];
    for (const [url, error] of cases) {
      expect(await h.get(url), url).toEqual({ status: 400, body: { error, message: expect.any(String) } });
    }
  });

  it('the listing by tag is served by the GIN index on doc->tags', async () => {
    const h = t.current;
    // Enough rows that a sequential scan is no longer the cheap plan; one statement keeps the set-up quick.
    await h.db.query(
      `INSERT INTO packages (id, doc)
       SELECT 'pkg-' || n, jsonb_build_object('packageId', 'pkg-' || n, 'tags',
                CASE WHEN n % 500 = 0 THEN '["rare", "standard"]'::jsonb ELSE '["standard", "size-small"]'::jsonb END)
       FROM generate_series(1, 5000) AS n`,
    );
    await h.db.query('ANALYZE packages');
    for (const after of [undefined, 'pkg-10']) {
      const plan = await explainListByTag(h.db, { tag: 'rare', limit: 20, after });
      expect(plan, plan).toMatch(/Bitmap Index Scan on packages_tags/);
      // The cursor's position comes from the primary key, not from a scan.
      if (after !== undefined) expect(plan, plan).toMatch(/Index Scan using packages_pkey/);
    }
  });
});
