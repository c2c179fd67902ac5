// The whole system on a primary found through Sentinel (a primary with AOF,
// one replica, three Sentinels: what a managed Standard tier is), bus and
// store both, and the primary killed with SIGKILL in the middle of a burst
// of orders and lending requests. Every service follows the promoted
// replica; every publish waits for a replica (BUS_REDIS_WAIT_REPLICAS=1), so
// what a client was told is accepted survives the failover. At the end:
// every order and request final, no event lost or handled twice, money and
// stock conserved; and the test prints how long no request was accepted
// (docs/redis-deployments.md, "A failover, measured").
//
// Before that: the shop's saga with a drone delivery, a basket checkout and
// lending requests complete on the Sentinel-managed primary. Both run in
// every `npm test`; TRIBUTARY_FAILOVER_TESTS=0 leaves the failover out (the
// record of its runs is in docs/redis-deployments.md).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { startSystem, type RunningSystem } from '@tributary/launcher';
import { connectRedis, type Envelope } from 'tributary';
import { freePort, readEnvelopes, startSentinelGroup, waitFor, type SentinelGroup } from 'tributary/testing';
import { createdId, eventIdsByKey, orderEventKey, settledAccount, spentBy, submitRetrying } from './support/invariants.ts';
import { basketCheckedOut, customer, lendingDecided, orderDelivered, product } from './support/journeys.ts';
import { gatewayApi, serviceFetcher, TEST_SYSTEM_ENV, type GatewayApi, type OrderReply } from './support/system.ts';

const BUYERS = 4;
const BALANCE = 20_000;
const PRICE = 300;
const STOCK = 60;
const ORDERS = 40;
const LENDING_REQUESTS = 8;
const BOOKS = ['ofmiceandmen', 'dune', 'emma', 'ulysses'];

let dir: string;
let group: SentinelGroup;
let system: RunningSystem | undefined;
let api: GatewayApi;

const RUN = process.env.TRIBUTARY_FAILOVER_TESTS !== '0';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-sentinel-system-'));
  group = await startSentinelGroup();
  system = await startSystem({
    readyTimeoutMs: 150_000,
    rootDir: resolve(import.meta.dirname, '..'),
    dataDir: join(dir, 'data'),
    gatewayPort: await freePort(),
    busRedisUrl: group.url,
    storeRedisUrl: group.url,
    env: { ...TEST_SYSTEM_ENV, BUS_REDIS_WAIT_REPLICAS: '1', BUS_REDIS_WAIT_TIMEOUT_MS: '2000' },
  });
  api = gatewayApi(system.gatewayUrl, system.adminKey);
}, 240_000);

afterAll(async () => {
  await system?.stop();
  await group?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function streamEvents(stream: string): Promise<Envelope[]> {
  const bus = await connectRedis(group.url);
  try {
    return await readEnvelopes(bus, stream);
  } finally {
    await bus.close();
  }
}

describe('the whole system on a primary found through Sentinel', { timeout: 300_000 }, () => {
  it('completes an order saga with a drone delivery, a basket checkout, and lending requests and a return', async () => {
    const shopper = await customer(api, 'Sally Sentinel', 'sally@example.com');
    await orderDelivered(api, shopper, [{ productId: await product(api, 'SENTINEL-TEA', 450), quantity: 1 }]);
    expect(await basketCheckedOut(api, shopper, await product(api, 'SENTINEL-CUPS', 1_200))).toMatchObject({ status: 'COMPLETED_SUCCESSFULLY', totalCents: 1_200 });
    expect(await lendingDecided(api, '/api/lending/requests', { userId: 'sally', bookIds: ['emma'] })).toMatchObject({ status: 'ACCEPTED', bookIds: ['emma'] });
    expect(await lendingDecided(api, '/api/lending/returns', { userId: 'sally', bookIds: ['emma'] })).toMatchObject({ status: 'PROCESSED' });
  });

  it.skipIf(!RUN)('follows the promoted replica: every order and request final, nothing lost or doubled, money and stock conserved', async () => {
    const running = system as RunningSystem;
    const create = (path: string, body: unknown) => createdId(api, path, body);
    const buyers: string[] = [];
    for (let i = 0; i < BUYERS; i++) {
      buyers.push(await create('/api/users', { name: `Failover buyer ${i}`, email: `failover${i}@example.com`, country: 'GB', balanceCents: BALANCE }));
    }
    const product = await create('/api/products', { sku: 'FAILOVER-TEA', name: 'Tea', priceCents: PRICE, stock: STOCK, bannedCountries: [] });
    const requestsBefore = (await streamEvents('lending:requests')).length;
    const primaryBefore = await group.primaryPort();
    const killed = group.servers.find((server) => server.port === primaryBefore);
    expect(killed).toBeDefined();

    // Each client sends its requests one after another, retrying "try again" answers with the same key; the time of every acceptance is kept.
    const accepted: number[] = [];
    const orderIds: string[] = [];
    const requestIds: string[] = [];
    let sent = 0;
    const submit = async <T>(path: string, body: unknown, key: string) => {
      const answer = await submitRetrying<T>(api, path, body, key, 120_000);
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      accepted.push(Date.now());
      sent++;
      return answer.body;
    };
    const orderClient = async (client: number) => {
      for (let n = client; n < ORDERS; n += BUYERS) {
        const placed = await submit<{ orderId: string }>('/api/orders', { userId: buyers[client], items: [{ productId: product, quantity: 1 + (n % 2) }] }, `failover-order-${n}`);
        orderIds.push(placed.orderId);
      }
    };
    const lendingClient = async () => {
      for (let n = 0; n < LENDING_REQUESTS; n++) {
        const requested = await submit<{ requestId: string }>('/api/lending/requests', { userId: `failover-reader-${n % 3}`, bookIds: [BOOKS[n % BOOKS.length]] }, `failover-lending-${n}`);
        requestIds.push(requested.requestId);
      }
    };
    const burst = Promise.all([...buyers.map((_, client) => orderClient(client)), lendingClient()]);

    await waitFor(() => sent >= (ORDERS + LENDING_REQUESTS) / 3, { timeoutMs: 60_000, description: 'a third of the burst accepted' });
    const killedAt = Date.now();
    await killed?.kill();
    const promoted = await waitFor(async () => {
      const port = await group.primaryPort();
      return port !== null && port !== primaryBefore ? port : null;
    }, { timeoutMs: 60_000, description: 'the replica promoted' });
    const promotedAt = Date.now();
    // The old primary comes back as a replica of the new one, so publishes that wait for a replica go through again.
    if (killed) await group.restart(killed);
    await burst;

    const acceptedAfter = accepted.filter((at) => at >= killedAt).sort((a, b) => a - b);
    const unavailableMs = (acceptedAfter[0] ?? Date.now()) - killedAt;
    console.log(
      `[sentinel failover] primary ${primaryBefore} killed; Sentinel promoted ${promoted} after ${((promotedAt - killedAt) / 1000).toFixed(1)} s; ` +
        `first request accepted ${(unavailableMs / 1000).toFixed(1)} s after the kill; ${sent} requests accepted in all`,
    );

    // Every accepted order and request ends: nothing the clients were told was lost.
    const orders = await waitFor(
      async () => {
        const all = await Promise.all(orderIds.map((id) => api<OrderReply>('GET', `/api/orders/${id}`)));
        return all.every((answer) => answer.status === 200 && TERMINAL_STATUSES.includes(answer.body.status as never)) ? all.map((answer) => answer.body) : null;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: 'every order final' },
    );
    expect(orders).toHaveLength(ORDERS);
    const decided = await waitFor(
      async () => {
        const all = await Promise.all(requestIds.map((id) => api<{ status: string }>('GET', `/api/lending/requests/${id}`)));
        return all.every((answer) => answer.status === 200 && answer.body.status !== 'PENDING') ? all.map((answer) => answer.body.status) : null;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: 'every lending request decided' },
    ).catch(async (error: Error) => {
      // Where the undecided ones are (pending on whom, delivered how often) and what lending said: a failure here is rare and slow to reproduce.
      const answers = await Promise.all(requestIds.map(async (id) => ({ id, answer: await api<{ status: string }>('GET', `/api/lending/requests/${id}`) })));
      const undecided = answers.filter(({ answer }) => answer.status !== 200 || answer.body.status === 'PENDING');
      const bus = await connectRedis(group.url);
      const [pending, groups, entries] = await Promise.all([
        bus.sendCommand(['XPENDING', 'lending:requests', 'lending', '-', '+', '20']).catch(String),
        bus.sendCommand(['XINFO', 'GROUPS', 'lending:requests']).catch(String),
        // Is the entry itself on the promoted primary, or was it lost with the old one?
        Promise.all(undecided.map(({ id }) => bus.sendCommand(['XRANGE', 'lending:requests', id, id]).catch(String))),
      ]).finally(() => bus.close());
      const seen = undecided.map(({ id, answer }, index) => ({ id, status: answer.status, body: answer.body, entry: entries[index] }));
      const log = readFileSync(join(dir, 'data', 'logs', 'lending.log'), 'utf8').split('\n').slice(-40).join('\n');
      throw new Error(
        `${error.message}; undecided: ${JSON.stringify(seen)}; pending: ${JSON.stringify(pending)}; groups: ${JSON.stringify(groups)}; the end of lending's log:\n${log}`,
        { cause: error },
      );
    });
    expect(decided.filter((status) => status !== 'ACCEPTED' && status !== 'REJECTED')).toEqual([]);

    // Money: each buyer paid for exactly their completed orders, nothing left reserved.
    const completed = orders.filter((order) => order.status === 'COMPLETED_SUCCESSFULLY');
    for (const userId of buyers) {
      const account = await settledAccount(api, userId, spentBy(completed, userId));
      expect(account.availableCents + account.reservedCents + account.spentCents).toBe(BALANCE);
    }
    // Stock: what fulfillment has left plus what it shipped is what there was.
    const sold = completed.reduce((sum, order) => sum + (order.items[0]?.quantity ?? 0), 0);
    const stock = await serviceFetcher(running.internalKey)(`${running.urls.fulfillment}/stock/${product}`).then((response) => response.json() as Promise<{ stock: number }>);
    expect(stock.stock + sold).toBe(STOCK);

    // Nothing handled twice: one event per order and type on every stream of the saga, one decision per request.
    for (const stream of ['ordering:events', 'accounts:payments', 'fulfillment:events']) {
      const doubled = [...eventIdsByKey(await streamEvents(stream), orderEventKey)].filter(([, ids]) => ids.size > 1).map(([key]) => key);
      expect(doubled, `${stream}: events published twice with different ids`).toEqual([]);
    }
    const outcomes = eventIdsByKey(await streamEvents('lending:events'), (event) =>
      ['RequestAccepted', 'RequestRejected'].includes(event.type) ? (event.data as { requestId: string }).requestId : null,
    );
    for (const requestId of requestIds) expect(outcomes.get(requestId)?.size, `decisions of ${requestId}`).toBe(1);
    expect(await streamEvents('lending:requests')).toHaveLength(requestsBefore + LENDING_REQUESTS);
  });
});
