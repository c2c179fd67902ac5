import { randomUUID } from 'node:crypto';
import { OrderCompleted, OrderPlaced, OrderRefundRequested, PAYMENTS_STREAM, trimmedStreamsOf } from '@tributary/contracts';
import { describe, expect, it } from 'vitest';
import { deriveEventId, encodeEnvelope, listDeadLetters, replayDeadLetters, trimStream, type Envelope } from 'tributary';
import { readEnvelopes, testDatabases, waitFor } from 'tributary/testing';
import { useAccounts, waitForPayments, waitUntilConsumed, type Harness } from './harness.ts';

const ORDERING = 'ordering:events';

async function newUser(h: Harness, balanceCents: number, country = 'GB'): Promise<string> {
  const response = await h.accounts.app.inject({
    method: 'POST',
    url: '/users',
    payload: { name: 'Buyer', email: `${randomUUID()}@example.com`, country, balanceCents },
  });
  expect(response.statusCode).toBe(201);
  return response.json().id;
}

async function account(h: Harness, userId: string) {
  return (await h.accounts.app.inject({ method: 'GET', url: `/users/${userId}/account` })).json();
}

async function reservationStatus(h: Harness, orderId: string): Promise<string | undefined> {
  const { rows } = await h.db.query<{ status: string }>('SELECT status FROM reservations WHERE order_id = $1', [orderId]);
  return rows[0]?.status;
}

const placed = (h: Harness, userId: string, totalCents: number, orderId: string = randomUUID()) =>
  h.ordering.envelope(OrderPlaced, { orderId, userId, items: [{ productId: randomUUID(), quantity: 1, unitPriceCents: totalCents }], totalCents });
const completed = (h: Harness, cause: Envelope<{ orderId: string; userId: string; totalCents: number }>) =>
  h.ordering.envelope(OrderCompleted, { orderId: cause.data.orderId, userId: cause.data.userId, totalCents: cause.data.totalCents });
const refundRequested = (h: Harness, cause: Envelope<{ orderId: string; userId: string }>) =>
  h.ordering.envelope(OrderRefundRequested, { orderId: cause.data.orderId, userId: cause.data.userId, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT' });

describe.each(testDatabases())('accounts payment handlers on $kind', (entry) => {
  const t = useAccounts(entry);

  it('reserves on OrderPlaced (PaymentReserved with the user country) and captures on OrderCompleted', async () => {
    const h = await t.setup();
    const userId = await newUser(h, 10_000, 'US');
    const order = placed(h, userId, 3_000);
    await h.ordering.publishEnvelopes([order]);

    const [reserved] = await waitForPayments(h.bus, 1);
    expect(reserved).toMatchObject({
      id: deriveEventId(order.id, 'PaymentReserved'),
      type: 'PaymentReserved',
      source: 'accounts',
      causationId: order.id,
      correlationId: order.correlationId,
      data: { orderId: order.data.orderId, userId, amountCents: 3_000, country: 'US' },
    });
    expect(await account(h, userId)).toEqual({ userId, availableCents: 7_000, reservedCents: 3_000, spentCents: 0 });
    expect(await reservationStatus(h, order.data.orderId)).toBe('RESERVED');

    const done = completed(h, order);
    await h.ordering.publishEnvelopes([done]);
    const events = await waitForPayments(h.bus, 2);
    expect(events[1]).toMatchObject({
      id: deriveEventId(done.id, 'PaymentCaptured'),
      type: 'PaymentCaptured',
      data: { orderId: order.data.orderId, userId, amountCents: 3_000 },
    });
    expect(await account(h, userId)).toEqual({ userId, availableCents: 7_000, reservedCents: 0, spentCents: 3_000 });
    expect(await reservationStatus(h, order.data.orderId)).toBe('CAPTURED');
    // Payments on their own stream; the user stream, kept whole, holds only the user.
    expect((await readEnvelopes(h.bus, 'accounts:events')).map((event) => event.type)).toEqual(['UserRegistered']);
  });

  it('fails with FAILED_PAYMENT_NO_FUNDS or FAILED_PAYMENT_UNKNOWN_USER and leaves balances alone', async () => {
    const h = await t.setup();
    const userId = await newUser(h, 2_999);
    const tooDear = placed(h, userId, 3_000);
    const stranger = placed(h, randomUUID(), 100);
    await h.ordering.publishEnvelopes([tooDear, stranger]);

    const events = await waitForPayments(h.bus, 2);
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['PaymentFailed', { orderId: tooDear.data.orderId, userId, reason: 'FAILED_PAYMENT_NO_FUNDS' }],
      ['PaymentFailed', { orderId: stranger.data.orderId, userId: stranger.data.userId, reason: 'FAILED_PAYMENT_UNKNOWN_USER' }],
    ]);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 2_999, reservedCents: 0, spentCents: 0 });
    expect(await reservationStatus(h, tooDear.data.orderId)).toBe('FAILED');
    expect(await reservationStatus(h, stranger.data.orderId)).toBe('FAILED');

    // A refund or completion of a failed payment changes nothing and says nothing.
    await h.ordering.publishEnvelopes([refundRequested(h, tooDear), completed(h, tooDear)]);
    await waitUntilConsumed(h.bus, ORDERING);
    expect(await readEnvelopes(h.bus, PAYMENTS_STREAM)).toHaveLength(2);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 2_999, reservedCents: 0, spentCents: 0 });
  });

  it('refunds on OrderRefundRequested, and settles each reservation once whatever arrives later', async () => {
    const h = await t.setup();
    const userId = await newUser(h, 10_000);
    const refunded = placed(h, userId, 4_000);
    const captured = placed(h, userId, 1_000);
    await h.ordering.publishEnvelopes([refunded, captured]);
    await waitForPayments(h.bus, 2);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 5_000, reservedCents: 5_000, spentCents: 0 });

    await h.ordering.publishEnvelopes([refundRequested(h, refunded), completed(h, captured)]);
    const events = await waitForPayments(h.bus, 4);
    expect(events.slice(2).map((event) => [event.type, event.data])).toEqual([
      ['PaymentRefunded', { orderId: refunded.data.orderId, userId, amountCents: 4_000 }],
      ['PaymentCaptured', { orderId: captured.data.orderId, userId, amountCents: 1_000 }],
    ]);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 9_000, reservedCents: 0, spentCents: 1_000 });

    // Distinct events (new ids) that would settle again: the state guard ignores them.
    await h.ordering.publishEnvelopes([completed(h, refunded), refundRequested(h, captured), refundRequested(h, refunded), placed(h, userId, 50, captured.data.orderId)]);
    await waitUntilConsumed(h.bus, ORDERING);
    expect(await readEnvelopes(h.bus, PAYMENTS_STREAM)).toHaveLength(4);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 9_000, reservedCents: 0, spentCents: 1_000 });
    expect(await reservationStatus(h, refunded.data.orderId)).toBe('REFUNDED');
    expect(await reservationStatus(h, captured.data.orderId)).toBe('CAPTURED');
  });

  it('handles a duplicated envelope (same event id delivered twice) once', async () => {
    const h = await t.setup();
    const userId = await newUser(h, 10_000);
    const first = placed(h, userId, 2_000);
    const second = placed(h, userId, 3_000);
    await h.ordering.publishEnvelopes([first, first, second, second]);
    await waitUntilConsumed(h.bus, ORDERING);
    const done = completed(h, first);
    const refund = refundRequested(h, second);
    await h.ordering.publishEnvelopes([done, refund, done, refund]);
    await waitUntilConsumed(h.bus, ORDERING);

    const events = (await readEnvelopes(h.bus, PAYMENTS_STREAM));
    expect(events.map((event) => event.type)).toEqual(['PaymentReserved', 'PaymentReserved', 'PaymentCaptured', 'PaymentRefunded']);
    expect(new Set(events.map((event) => event.id)).size).toBe(4);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 8_000, reservedCents: 0, spentCents: 2_000 });
    const { rows } = await h.db.query<{ n: number }>("SELECT count(*)::int AS n FROM tributary_handled_events WHERE consumer_group = 'accounts'");
    expect(rows[0]?.n).toBe(4);
  });

  it('a batch is decided in stream order as one by one would: each reservation sees the balance the previous left; a poison event fails alone', async () => {
    const h = await t.setup();
    const userId = await newUser(h, 1_000);
    const other = await newUser(h, 500);
    const first = placed(h, userId, 400);
    const second = placed(h, userId, 400);
    // One XADD pipeline, read as one batch: the capture of the first moves reserved to spent and frees nothing,
    // so the third 400 no longer fits.
    await h.ordering.publishEnvelopes([first, second, completed(h, first), placed(h, userId, 400), placed(h, other, 500), placed(h, randomUUID(), 10)]);
    const events = await waitForPayments(h.bus, 6);
    expect(events.map((event) => [event.type, (event.data as { reason?: string }).reason ?? null])).toEqual([
      ['PaymentReserved', null],
      ['PaymentReserved', null],
      ['PaymentCaptured', null],
      ['PaymentFailed', 'FAILED_PAYMENT_NO_FUNDS'],
      ['PaymentReserved', null],
      ['PaymentFailed', 'FAILED_PAYMENT_UNKNOWN_USER'],
    ]);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 200, reservedCents: 400, spentCents: 400 });
    expect(await account(h, other)).toEqual({ userId: other, availableCents: 0, reservedCents: 500, spentCents: 0 });

    // A completion of an order accounts never saw, between two good events: they are applied, it is dead-lettered.
    await h.ordering.publishEnvelopes([completed(h, second), completed(h, placed(h, userId, 1)), placed(h, other, 1)]);
    await waitFor(async () => (await listDeadLetters(h.bus, ORDERING)).length === 1, { timeoutMs: 15_000, description: 'the poison completion dead-lettered' });
    await waitUntilConsumed(h.bus, ORDERING);
    expect((await readEnvelopes(h.bus, PAYMENTS_STREAM)).slice(6).map((event) => event.type)).toEqual(['PaymentCaptured', 'PaymentFailed']);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 200, reservedCents: 0, spentCents: 800 });
    expect(await reservationStatus(h, first.data.orderId)).toBe('CAPTURED');
    expect(await reservationStatus(h, second.data.orderId)).toBe('CAPTURED');
  });

  it('retries then dead-letters a completion it cannot apply yet, and applies it once replayed; bad entries change nothing', async () => {
    const h = await t.setup();
    const userId = await newUser(h, 1_000);
    const order = placed(h, userId, 600);
    // Completion first (out of order): no reservation yet, so the handler throws.
    await h.ordering.publishEnvelopes([completed(h, order)]);
    // An entry whose payload breaks the contract (negative total) goes straight to the DLQ.
    const broken = encodeEnvelope({ ...placed(h, userId, 1), data: { ...order.data, orderId: randomUUID(), totalCents: -5 } });
    await h.bus.sendCommand(['XADD', ORDERING, '*', ...Object.entries(broken).flat()]);
    const letters = await waitFor(async () => {
      const found = await listDeadLetters(h.bus, ORDERING);
      return found.length === 2 ? found : null;
    });
    const byHandler = new Map(letters.map((letter) => [letter.handler, letter]));
    expect(byHandler.get('OrderPlaced')).toMatchObject({ group: 'accounts', error: expect.stringContaining('/totalCents') });
    const stuck = byHandler.get('OrderCompleted');
    expect(stuck).toMatchObject({ group: 'accounts', attempts: 3, error: expect.stringContaining('no reservation') });
    expect(await account(h, userId)).toEqual({ userId, availableCents: 1_000, reservedCents: 0, spentCents: 0 });
    expect((await readEnvelopes(h.bus, PAYMENTS_STREAM))).toHaveLength(0);

    await h.ordering.publishEnvelopes([order]);
    await waitForPayments(h.bus, 1);
    await replayDeadLetters(h.bus, ORDERING, { ids: [stuck!.id] });
    const events = await waitForPayments(h.bus, 2);
    expect(events.map((event) => event.type)).toEqual(['PaymentReserved', 'PaymentCaptured']);
    expect(await account(h, userId)).toEqual({ userId, availableCents: 400, reservedCents: 0, spentCents: 600 });
  });

  it('trims its payment stream like the saga streams (what every group acked, never what one still needs) and keeps the user stream whole', async () => {
    const h = await t.setup();
    const userId = await newUser(h, 10_000);
    await h.ordering.publishEnvelopes([placed(h, userId, 100), placed(h, userId, 200)]);
    await waitForPayments(h.bus, 2);
    expect(trimmedStreamsOf('accounts')).toEqual([PAYMENTS_STREAM]);
    const trimAll = async () => {
      for (const stream of trimmedStreamsOf('accounts')) await trimStream(h.bus, stream, { minAgeMs: 0 });
    };

    // Ordering's group has read both and acked only the first: the second stays.
    await h.bus.sendCommand(['XGROUP', 'CREATE', PAYMENTS_STREAM, 'ordering', '0']);
    const read = await h.bus.sendCommand<Array<[string, Array<[string, string[]]>]>>(['XREADGROUP', 'GROUP', 'ordering', 'o-1', 'STREAMS', PAYMENTS_STREAM, '>']);
    const ids = read[0]![1].map(([id]) => id);
    await h.bus.sendCommand(['XACK', PAYMENTS_STREAM, 'ordering', ids[0]!]);
    await trimAll();
    expect((await readEnvelopes(h.bus, PAYMENTS_STREAM)).map((event) => event.type)).toEqual(['PaymentReserved']);

    await h.bus.sendCommand(['XACK', PAYMENTS_STREAM, 'ordering', ids[1]!]);
    await trimAll();
    expect(await h.bus.xLen(PAYMENTS_STREAM)).toBe(0);
    expect((await readEnvelopes(h.bus, 'accounts:events')).map((event) => event.type)).toEqual(['UserRegistered']);
  });
});
