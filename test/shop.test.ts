import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { connectRedis } from 'tributary';
import { waitFor } from 'tributary/testing';
import { startTestSystem, type TestSystem } from './support/system.ts';

interface Order {
  id: string;
  status: string;
  totalCents: number;
  customerName: string | null;
}
interface Mail {
  mailId: string;
  orderId: string | null;
  kind: string;
  to: { name: string; email: string; address: string | null };
  subject: string;
  body: string;
}
interface Basket {
  items: Array<{ productId: string; quantity: number; unitPriceCents: number }>;
  totalCents: number;
  checkout: { orderId: string } | null;
}

/**
 * The rest of the shop through the public API, every service a real process.
 * One database kind is enough here: the saga suite already runs on both.
 */
describe('the shop through the HTTP API', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem('pglite');
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  let serial = 0;
  async function user(name: string, balanceCents = 100_000, country = 'GB') {
    serial++;
    const created = await t.api<{ id: string; email: string }>('POST', '/api/users', { name, email: `shopper${serial}@example.com`, country, balanceCents });
    expect(created.status).toBe(201);
    return created.body;
  }
  async function product(fields: { priceCents: number; stock?: number; digital?: boolean; name?: string }) {
    serial++;
    const created = await t.api<{ id: string }>('POST', '/api/products', {
      sku: `SHOP-${serial}`,
      name: fields.name ?? `Item ${serial}`,
      priceCents: fields.priceCents,
      stock: fields.stock ?? 100,
      bannedCountries: [],
      ...(fields.digital === undefined ? {} : { digital: fields.digital }),
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }
  async function settled(orderId: string): Promise<Order> {
    return waitFor(
      async () => {
        const found = await t.api<Order>('GET', `/api/orders/${orderId}`);
        return found.status === 200 && TERMINAL_STATUSES.includes(found.body.status as never) ? found.body : null;
      },
      { timeoutMs: 30_000, description: `order ${orderId} terminal` },
    );
  }
  async function mailsFor(userId: string, orderId: string, kind: string): Promise<Mail> {
    return waitFor(
      async () => {
        const mails = await t.api<{ items: Mail[] }>('GET', `/api/users/${userId}/mails`);
        return mails.body.items?.find((mail) => mail.orderId === orderId && mail.kind === kind) ?? null;
      },
      { timeoutMs: 30_000, description: `${kind} mail for ${orderId}` },
    );
  }
  /** Waits until the basket service has its copy of the product (catalog events are asynchronous). */
  async function putItem(userId: string, productId: string, quantity: number) {
    return waitFor(
      async () => {
        const reply = await t.api<Basket>('PUT', `/api/baskets/${userId}/items/${productId}`, { quantity });
        return reply.status === 200 ? reply.body : null;
      },
      { description: 'basket knows the product' },
    );
  }

  it('keeps a basket as the book\'s sorted set and turns a retried checkout into one order', async () => {
    const shopper = await user('Basket Shopper');
    const tea = await product({ priceCents: 450 });
    const cups = await product({ priceCents: 1_200 });
    await putItem(shopper.id, tea, 2);
    const basket = await putItem(shopper.id, cups, 1);
    expect(basket.totalCents).toBe(2 * 450 + 1_200);

    // Table 2-1: one sorted set per user, score = quantity, member = product id.
    const store = await connectRedis(t.store.url);
    try {
      const keys = await store.keys(`basket:*${shopper.id}*`);
      const basketKey = keys.find((key) => !key.includes(':checkout'));
      expect(basketKey).toBeDefined();
      expect(await store.type(basketKey as string)).toBe('zset');
      const layout = await store.zRangeWithScores(basketKey as string, 0, -1);
      expect(layout.map(({ value, score }) => [value, score]).sort()).toEqual([[cups, 1], [tea, 2]].sort());
      expect(await store.ttl(basketKey as string)).toBeGreaterThan(0);
    } finally {
      await store.close();
    }

    const checkouts = await Promise.all([1, 2, 3].map(() => t.api<{ orderId: string }>('POST', `/api/baskets/${shopper.id}/checkout`)));
    for (const reply of checkouts) expect(reply.status).toBe(202);
    const orderIds = new Set(checkouts.map((reply) => reply.body.orderId));
    expect(orderIds.size).toBe(1);
    const [orderId] = [...orderIds] as [string];

    const final = await settled(orderId);
    expect(final).toMatchObject({ status: 'COMPLETED_SUCCESSFULLY', totalCents: 2_100, customerName: 'Basket Shopper' });
    const emptied = await waitFor(async () => {
      const current = await t.api<Basket>('GET', `/api/baskets/${shopper.id}`);
      return current.body.items.length === 0 ? current.body : null;
    }, { description: 'basket emptied once the order exists' });
    expect(emptied.checkout).toBeNull();
    // Retrying after the order exists starts nothing new: the basket is empty.
    expect((await t.api('POST', `/api/baskets/${shopper.id}/checkout`)).status).toBe(422);
  });

  it('mails carry the last name even when mailing was down while it changed', async () => {
    const shopper = await user('First Name');
    const book = await product({ priceCents: 900 });
    const mailing = t.system.process('mailing');
    await mailing.pause();
    for (const name of ['Second Name', 'Third Name', 'Last Name']) {
      const changed = await t.api<{ name: string }>('PATCH', `/api/users/${shopper.id}`, { name });
      expect(changed.status).toBe(200);
      expect(changed.body.name).toBe(name);
    }
    const placed = await t.api<{ orderId: string }>('POST', '/api/orders', { userId: shopper.id, items: [{ productId: book, quantity: 1 }] });
    expect(placed.status).toBe(202);
    expect((await settled(placed.body.orderId)).status).toBe('COMPLETED_SUCCESSFULLY');

    mailing.resume();
    await t.system.waitReady('mailing');
    const mail = await mailsFor(shopper.id, placed.body.orderId, 'ORDER_COMPLETED');
    expect(mail.to.name).toBe('Last Name');
    expect(mail.body).toContain('Last Name');
    expect((await settled(placed.body.orderId)).customerName).toBe('Last Name');

    // A rebuild from the start of the accounts stream gives the same copy.
    const before = await t.serviceFetch(`${t.system.urls.mailing}/recipients/${shopper.id}`).then((reply) => reply.json());
    const rebuilt = await t.api('POST', '/api/admin/projections/mailing/rebuild');
    expect(rebuilt.status).toBe(200);
    const after = await waitFor(async () => {
      const reply = await t.serviceFetch(`${t.system.urls.mailing}/recipients/${shopper.id}`);
      return reply.status === 200 ? reply.json() : null;
    }, { description: 'recipient back after the rebuild' });
    expect(after).toEqual(before);
  });

  it('sends an e-book by mail instead of shipping it', async () => {
    const reader = await user('Ebook Reader');
    const ebook = await product({ priceCents: 999, stock: 0, digital: true, name: 'An E-book' });
    const placed = await t.api<{ orderId: string }>('POST', '/api/orders', { userId: reader.id, items: [{ productId: ebook, quantity: 1 }] });
    expect(placed.status).toBe(202);
    expect((await settled(placed.body.orderId)).status).toBe('COMPLETED_SUCCESSFULLY');
    const mail = await mailsFor(reader.id, placed.body.orderId, 'EBOOK_DELIVERY');
    expect(mail.to.name).toBe('Ebook Reader');
  });

  it('invalidates the cached product when its price changes, and lists by price', async () => {
    const cheap = await product({ priceCents: 10 });
    const dear = await product({ priceCents: 10_000_000 });
    expect((await t.api<{ priceCents: number }>('GET', `/api/products/${dear}`)).body.priceCents).toBe(10_000_000);
    expect((await t.api<{ priceCents: number }>('GET', `/api/products/${dear}`)).body.priceCents).toBe(10_000_000);
    const patched = await t.api<{ priceCents: number }>('PATCH', `/api/products/${dear}`, { priceCents: 5 });
    expect(patched.status).toBe(200);
    expect((await t.api<{ priceCents: number }>('GET', `/api/products/${dear}`)).body.priceCents).toBe(5);
    const listed = await t.api<{ items: Array<{ id: string; priceCents: number }> }>('GET', '/api/products?sort=price&order=asc&limit=100');
    const prices = listed.body.items.map((item) => item.priceCents);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    const ids = listed.body.items.map((item) => item.id);
    expect(ids.indexOf(dear)).toBeLessThan(ids.indexOf(cheap));
  });

  it('logs a customer in by email with a cookie session', async () => {
    const shopper = await user('Session Shopper');
    const login = await fetch(`${t.system.gatewayUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: shopper.email }),
    });
    expect(login.status).toBe(201);
    const cookie = login.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toBeTruthy();
    const me = await t.api<{ userId: string }>('GET', '/api/session', undefined, { cookie: cookie as string });
    expect(me.status).toBe(200);
    expect(me.body.userId).toBe(shopper.id);
    expect((await t.api('GET', '/api/session')).status).toBe(401);
  });

  it("is closed by default: anonymous callers get 401, a customer's session opens only their own data, the admin key everything", async () => {
    const ann = await user('Ann Own');
    const ben = await user('Ben Other');
    const book = await product({ priceCents: 100 });
    const placed = await t.api<{ orderId: string }>('POST', '/api/orders', { userId: ann.id, items: [{ productId: book, quantity: 1 }] });
    expect(placed.status).toBe(202);
    // Signs in by email: the session cookie, as a browser would keep it.
    const cookieOf = async (email: string) => {
      const response = await fetch(`${t.system.gatewayUrl}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
      expect(response.status).toBe(201);
      return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
    };
    const anns = { cookie: await cookieOf(ann.email) };
    const bens = { cookie: await cookieOf(ben.email) };
    const annsData = [`/api/users/${ann.id}`, `/api/users/${ann.id}/account`, `/api/users/${ann.id}/mails`, `/api/baskets/${ann.id}`, `/api/orders/${placed.body.orderId}`];

    for (const path of ['/api/system/services', '/api/admin/dead-letters?stream=ordering:events', '/api/mails', ...annsData]) {
      const anonymous = await t.publicApi<{ error: string; message: string }>('GET', path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.body.message, path).toBeTruthy();
    }
    expect((await t.publicApi('POST', '/api/products', { sku: 'NOPE', name: 'Nope', priceCents: 1, stock: 1, bannedCountries: [] })).status).toBe(401);
    for (const path of annsData) {
      expect((await t.publicApi('GET', path, undefined, bens)).status, `Ben on ${path}`).toBe(403);
      expect((await t.publicApi('GET', path, undefined, anns)).status, `Ann on ${path}`).toBe(200);
      expect((await t.api('GET', path)).status, `admin on ${path}`).toBe(200);
    }
    expect((await t.publicApi('PUT', `/api/baskets/${ann.id}/items/${book}`, { quantity: 1 }, bens)).status).toBe(403);
    expect((await t.api<{ items: unknown[] }>('GET', `/api/baskets/${ann.id}`)).body.items).toEqual([]);
    expect((await t.publicApi('POST', '/api/orders', { userId: ann.id, items: [{ productId: book, quantity: 1 }] }, bens)).status).toBe(403);
    expect((await t.publicApi('GET', '/api/products')).status).toBe(200);
  });

  it("every service's own port asks for the internal key, except its health and metrics", async () => {
    for (const name of ['accounts', 'catalog', 'ordering', 'mailing', 'lending'] as const) {
      const base = t.system.urls[name];
      const refused = await fetch(`${base}/traces`);
      expect(refused.status, name).toBe(401);
      expect(await refused.json(), name).toMatchObject({ error: 'INTERNAL_KEY_REQUIRED' });
      expect((await fetch(`${base}/traces`, { headers: { 'x-internal-key': 'wrong' } })).status, name).toBe(403);
      expect((await t.serviceFetch(`${base}/traces`)).status, name).toBe(200);
      for (const open of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${base}${open}`)).status, `${name}${open}`).toBe(200);
    }
  });

  it('ranks completed orders on the leaderboards', async () => {
    const whale = await user('Big Spender', 10_000_000);
    const gadget = await product({ priceCents: 50_000 });
    const placed = await t.api<{ orderId: string }>('POST', '/api/orders', { userId: whale.id, items: [{ productId: gadget, quantity: 3 }] });
    expect((await settled(placed.body.orderId)).status).toBe('COMPLETED_SUCCESSFULLY');
    const ranked = await waitFor(async () => {
      const reply = await t.api<{ member: string; score: number; rank: number }>('GET', `/api/leaderboards/best-sellers/members/${gadget}`);
      return reply.status === 200 ? reply.body : null;
    }, { description: 'best-seller ranked' });
    expect(ranked.score).toBe(3);
    const spenders = await t.api<{ items: Array<{ member: string; score: number }> }>('GET', '/api/leaderboards/top-spenders?limit=1');
    expect(spenders.body.items[0]).toMatchObject({ member: whale.id, score: 150_000 });
  });
});
