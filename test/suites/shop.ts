import { beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from 'tributary';
import { waitFor } from 'tributary/testing';
import { runCli } from '../../apps/cli/test/harness.ts';
import { sharedSystem } from '../support/shared-system.ts';
import { finalOrder, type TestSystem } from '../support/system.ts';

/**
 * The shop, drone delivery and the lending library through the public API,
 * every service a real process: one system for the file (starting one is
 * most of a system test's cost), each part in its own describe. One database
 * kind is enough here: the saga suite already runs on both.
 */
let t: TestSystem;
beforeAll(() => {
  t = sharedSystem();
});

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

describe('the shop through the HTTP API', () => {
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
  const settled = (orderId: string) => finalOrder<Order>(t.api, orderId);
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
      { description: 'basket knows the user and the product' },
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
      // Beside it: the pending checkout and the basket's note that accounts knows the user.
      const basketKey = keys.find((key) => key.endsWith(`${shopper.id}}`));
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

interface DeliveredOrder {
  id: string;
  status: string;
  deliveryId: string | null;
}
interface Delivery {
  deliveryId: string;
  packageId: string;
  orderId: string;
  status: string;
  droneId: string | null;
  steps: Array<{ status: string; at: string }>;
}
interface History {
  deliveryId: string;
  packageId: string;
  orderId: string;
  status: string;
  steps: Array<{ status: string; at: string }>;
  finishedAt: string;
  durationSeconds: number;
}
interface Package {
  packageId: string;
  orderId: string;
  userId: string;
  tags: string[];
  items: Array<{ productId: string; quantity: number }>;
}

/**
 * An order placed through the gateway ends delivered by a (simulated) drone:
 * package, delivery, live status and history agree. Every service is a real
 * process; the simulator flies fast (DRONE_TIME_SCALE) and never fails here.
 */
describe('drone delivery through the HTTP API', () => {
  it('delivers a shipped order, and package, delivery and history agree', async () => {
    const user = await t.api<{ id: string }>('POST', '/api/users', { name: 'Dora Drone', email: 'dora@example.com', country: 'GB', balanceCents: 50_000 });
    expect(user.status).toBe(201);
    await t.api('PATCH', `/api/users/${user.body.id}`, { address: '221B Baker Street, London' });
    const tea = await t.api<{ id: string }>('POST', '/api/products', { sku: 'FLY-1', name: 'Tea', priceCents: 450, stock: 10, bannedCountries: [] });
    const ebook = await t.api<{ id: string }>('POST', '/api/products', { sku: 'FLY-2', name: 'E-book', priceCents: 300, stock: 0, bannedCountries: [], digital: true });
    const placed = await t.api<{ orderId: string }>('POST', '/api/orders', {
      userId: user.body.id,
      items: [{ productId: tea.body.id, quantity: 2 }, { productId: ebook.body.id, quantity: 1 }],
    });
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId;

    const order = await waitFor(async () => {
      const current = await t.api<DeliveredOrder>('GET', `/api/orders/${orderId}`);
      return current.body.status === 'COMPLETED_SUCCESSFULLY' && current.body.deliveryId ? current.body : null;
    }, { timeoutMs: 60_000, description: 'order completed with a delivery' });
    const deliveryId = order.deliveryId as string;

    const delivered = await waitFor(async () => {
      const live = await t.api<Delivery>('GET', `/api/deliveries/${deliveryId}`);
      return live.status === 200 && live.body.status === 'DELIVERED' ? live.body : null;
    }, { timeoutMs: 60_000, description: 'delivery delivered' });
    expect(delivered.orderId).toBe(orderId);
    expect(delivered.droneId).toBeTruthy();
    expect(delivered.steps.map((step) => step.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);

    // The package holds only what flies: the e-book was mailed.
    const parcel = await t.api<Package>('GET', `/api/packages/${delivered.packageId}`);
    expect(parcel.status).toBe(200);
    expect(parcel.body).toMatchObject({ orderId, userId: user.body.id, items: [{ productId: tea.body.id, quantity: 2 }] });
    const tagged = await t.api<{ items: Package[] }>('GET', `/api/packages?tag=${parcel.body.tags[0]}&limit=100`);
    expect(tagged.body.items.map((item) => item.packageId)).toContain(delivered.packageId);

    const history = await waitFor(async () => {
      const found = await t.api<History>('GET', `/api/deliveries/${deliveryId}/history`);
      return found.status === 200 ? found.body : null;
    }, { timeoutMs: 30_000, description: 'history recorded' });
    expect(history).toMatchObject({ deliveryId, orderId, packageId: delivered.packageId, status: 'DELIVERED' });
    expect(history.steps).toEqual(delivered.steps);
    expect(history.durationSeconds).toBeGreaterThanOrEqual(0);

    // Once the lake writer has flushed, the day's analytics count it.
    const day = history.finishedAt.slice(0, 10);
    await waitFor(async () => {
      const analytics = await t.api<{ totals: { delivered: number } }>('GET', `/api/analytics/deliveries?from=${day}&to=${day}`);
      return analytics.status === 200 && analytics.body.totals.delivered >= 1;
    }, { timeoutMs: 30_000, description: 'the lake counts the delivery' });
  });
});

interface RequestStatus {
  requestId: string;
  kind: string;
  status: string;
  reason?: string;
  bookIds?: string[];
  unavailableBookIds?: string[];
  returnedBookIds?: string[];
  refusedBookIds?: string[];
}
interface UserBooks {
  userId: string;
  bookIds: string[];
  count: number;
}

/**
 * The book's chapter 5 session on the whole system: through the gateway's
 * HTTP API, then with the `tributary` CLI straight on the system's bus Redis
 * (as the book's get_books.py does). Every service is a real process.
 */
describe('the lending library', () => {
  async function outcome(requestId: string): Promise<RequestStatus> {
    return waitFor(
      async () => {
        const current = await t.api<RequestStatus>('GET', `/api/lending/requests/${requestId}`);
        expect(current.status).toBe(200);
        return current.body.status === 'PENDING' ? null : current.body;
      },
      { timeoutMs: 30_000, description: `request ${requestId} decided` },
    );
  }

  it('lends ofmiceandmen to Salvatore and takes it back, through the gateway', async () => {
    const requested = await t.api<{ requestId: string }>('POST', '/api/lending/requests', { userId: 'Salvatore', bookIds: ['ofmiceandmen'] });
    expect(requested.status).toBe(202);
    expect(requested.body.requestId).toMatch(/^\d+-\d+$/);
    expect(await outcome(requested.body.requestId)).toMatchObject({ requestId: requested.body.requestId, kind: 'lend', status: 'ACCEPTED', bookIds: ['ofmiceandmen'] });
    expect((await t.api<UserBooks>('GET', '/api/lending/users/Salvatore/books')).body).toEqual({ userId: 'Salvatore', bookIds: ['ofmiceandmen'], count: 1 });

    const returned = await t.api<{ requestId: string }>('POST', '/api/lending/returns', { userId: 'Salvatore', bookIds: ['ofmiceandmen'] });
    expect(returned.status).toBe(202);
    expect(await outcome(returned.body.requestId)).toMatchObject({ kind: 'return', status: 'PROCESSED', returnedBookIds: ['ofmiceandmen'], refusedBookIds: [] });
    expect((await t.api<UserBooks>('GET', '/api/lending/users/Salvatore/books')).body).toEqual({ userId: 'Salvatore', bookIds: [], count: 0 });
  });

  it('does the same with the tributary CLI on the system\'s bus Redis; the gateway sees the same requests', async () => {
    const url = t.system.busRedisUrl;
    const lend = await runCli(['lending', 'request', '--url', url, 'Salvatore', 'ofmiceandmen']);
    expect(lend.stderr).toBe('');
    expect(lend.code).toBe(0);
    const lendId = lend.stdout.match(/\[(\d+-\d+)\]/)?.[1] as string;
    expect(lend.stdout).toContain(`Request: [${lendId}] by Salvatore ACCEPTED.\nBooks:\n1) ofmiceandmen\n`);
    expect((await t.api<RequestStatus>('GET', `/api/lending/requests/${lendId}`)).body).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen'] });
    expect((await t.api<UserBooks>('GET', '/api/lending/users/Salvatore/books')).body.bookIds).toEqual(['ofmiceandmen']);

    const back = await runCli(['lending', 'return', '--url', url, 'Salvatore', 'ofmiceandmen']);
    expect(back.code).toBe(0);
    const returnId = back.stdout.match(/\[(\d+-\d+)\]/)?.[1] as string;
    expect(back.stdout).toContain(`Book Return [${returnId}] PROCESSED\nReturned:\n1) ofmiceandmen\n`);
    expect((await t.api<RequestStatus>('GET', `/api/lending/requests/${returnId}`)).body).toMatchObject({ kind: 'return', status: 'PROCESSED' });
    expect((await t.api<UserBooks>('GET', '/api/lending/users/Salvatore/books')).body.bookIds).toEqual([]);
  });
});
