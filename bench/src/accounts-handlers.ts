// In-process bench of a batched SQL consumer: accounts reserving N orders.
// `node --import tsx bench/src/accounts-handlers.ts [database-url] [events]`
// (default memory:// and 5000). Publishes N OrderPlaced on a private
// redis-server and times until N PaymentReserved are on accounts' payment stream.
import { randomUUID } from 'node:crypto';
import { OrderPlaced, PAYMENTS_STREAM } from '@tributary/contracts';
import { connectRedis, createPublisher } from 'tributary';
import { createLogger } from 'tributary/service';
import { openDatabase } from 'tributary/sql';
import { startRedisServer, waitFor } from 'tributary/testing';
import { startAccounts } from '../../services/accounts/src/app.ts';

const url = process.argv[2] ?? 'memory://';
const count = Number(process.argv[3] ?? 5_000);
const server = await startRedisServer();
const bus = await connectRedis(server.url);
const db = await openDatabase(url);
const accounts = await startAccounts({ db, bus, instance: 'bench-1', logger: createLogger('accounts', 'silent'), consumer: { blockMs: 20 } });
const users: string[] = [];
for (let n = 0; n < 50; n++) {
  const reply = await accounts.app.inject({ method: 'POST', url: '/users', payload: { name: `U${n}`, email: `u${n}-${randomUUID()}@example.com`, country: 'GB', balanceCents: 100_000_000 } });
  users.push((reply.json() as { id: string }).id);
}
const ordering = createPublisher({ redis: bus, service: 'ordering' });
const started = performance.now();
for (let from = 0; from < count; from += 500) {
  const envelopes = Array.from({ length: Math.min(500, count - from) }, (_, i) =>
    ordering.envelope(OrderPlaced, { orderId: randomUUID(), userId: users[(from + i) % users.length]!, items: [{ productId: randomUUID(), quantity: 1, unitPriceCents: 100 }], totalCents: 100 }),
  );
  await ordering.publishEnvelopes(envelopes);
}
await waitFor(async () => (await bus.xLen(PAYMENTS_STREAM)) >= count, { timeoutMs: 600_000, intervalMs: 50, description: 'all reserved' });
const seconds = (performance.now() - started) / 1000;
console.log(`${url.split('?')[0]}: ${count} OrderPlaced → PaymentReserved in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)} events/s`);
await accounts.close();
await bus.close();
await db.close();
await server.stop();
process.exit(0);
