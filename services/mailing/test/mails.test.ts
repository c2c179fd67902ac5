import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveEventId } from 'tributary';
import { queueKeys } from 'tributary/queue';
import { waitFor } from 'tributary/testing';
import { OrderBlocked, OrderCompleted, OrderFailed, OrderShipped } from '@tributary/contracts';
import { mailIdFor } from '../src/domain/mail-job.ts';
import { createMailLog } from '../src/store/mail-log.ts';
import { mailingKeys } from '../src/store/keys.ts';
import { useMailing } from './harness.ts';

const t = useMailing();

describe('order mails', () => {
  it('a completed order produces one mail, addressed with the recipient copy, and one MailSent', async () => {
    const mailing = await t.start();
    const user = await t.register({ name: 'Grace Hopper', address: '1 Navy Yard' });
    const order = await t.completeOrder(user.userId, 12_345);

    const [mail] = await t.waitForMails(mailing, { userId: user.userId }, 1);
    expect(mail).toMatchObject({
      mailId: mailIdFor(order.id),
      userId: user.userId,
      orderId: order.data.orderId,
      kind: 'ORDER_COMPLETED',
      to: { name: 'Grace Hopper', email: user.email, address: '1 Navy Yard' },
      subject: `Your order ${order.data.orderId} is complete`,
    });
    expect(mail?.body).toMatch(/^Dear Grace Hopper,/);
    expect(mail?.body).toContain('123.45');
    expect(Date.parse(mail?.sentAt ?? '')).not.toBeNaN();

    const sent = await waitFor(async () => {
      const events = await t.mailSentEvents();
      return events.length === 1 ? events : null;
    }, { description: 'MailSent published' });
    expect(sent[0]).toMatchObject({
      id: deriveEventId(order.id, 'MailSent'),
      source: 'mailing',
      causationId: order.id,
      correlationId: order.correlationId,
      data: { mailId: mail?.mailId, userId: user.userId, orderId: order.data.orderId, kind: 'ORDER_COMPLETED' },
    });
    // Same trace as the order.
    expect(sent[0]?.traceparent.slice(0, 35)).toBe(order.traceparent.slice(0, 35));
  });

  it('a redelivered OrderCompleted does not send a second mail', async () => {
    const mailing = await t.start();
    const user = await t.register();
    const order = t.ordering.envelope(OrderCompleted, { orderId: randomUUID(), userId: user.userId, totalCents: 100 });
    await t.ordering.publishEnvelopes([order, order]);
    // A later order for the same user: once its mail is there, the duplicate had its chance.
    const later = await t.completeOrder(user.userId);
    const mails = await t.waitForMails(mailing, { userId: user.userId }, 2);
    await waitFor(async () => (await t.mailSentEvents()).length >= 2, { description: 'MailSent for both orders' });
    expect(mails.map((mail) => mail.orderId).sort()).toEqual([order.data.orderId, later.data.orderId].sort());
    expect(await t.mails(mailing, { orderId: order.data.orderId })).toHaveLength(1);
    expect((await t.mailSentEvents()).map((event) => event.id).sort()).toEqual(
      [deriveEventId(order.id, 'MailSent'), deriveEventId(later.id, 'MailSent')].sort(),
    );
  });

  it('remembers a mail id for the handled-marker retention it was given (HANDLED_MARKER_RETENTION_MS), not a fixed week', async () => {
    const mailing = await t.start({ handledTtlSeconds: 1 });
    const seen = queueKeys(mailingKeys.mailQueue).seen;
    const user = await t.register();
    const first = await t.completeOrder(user.userId);
    await t.waitForMails(mailing, { userId: user.userId }, 1);
    expect(await t.store.zScore(seen, mailIdFor(first.id))).not.toBeNull();
    // Each mail queued forgets the ids older than the window: a second past the first, it is gone.
    let mailed = 1;
    await waitFor(async () => {
      await t.completeOrder(user.userId);
      await t.waitForMails(mailing, { userId: user.userId }, ++mailed);
      return (await t.store.zScore(seen, mailIdFor(first.id))) === null;
    }, { description: "the first mail's id forgotten after its second", timeoutMs: 20_000 });
  });

  it('the mail log records a mail id once, however often the job runs', async () => {
    const log = createMailLog(t.store);
    const mail = {
      mailId: 'm-1', userId: 'u-1', orderId: 'o-1', kind: 'ORDER_COMPLETED' as const,
      to: { name: 'A', email: 'a@example.com', address: null }, subject: 's', body: 'b', sentAt: new Date().toISOString(),
    };
    expect(await log.record(mail)).toBe(true);
    expect(await log.record({ ...mail, subject: 'again', sentAt: new Date(Date.now() + 1000).toISOString() })).toBe(false);
    expect(await log.list({ userId: 'u-1', limit: 10 })).toEqual([mail]);
    expect(await log.list({ orderId: 'o-1', limit: 10 })).toEqual([mail]);
    expect(await log.list({ limit: 10 })).toEqual([mail]);
  });

  it('failed and blocked orders produce ORDER_FAILED mails that give the reason', async () => {
    const mailing = await t.start();
    const user = await t.register();
    const failed = t.ordering.envelope(OrderFailed, { orderId: randomUUID(), userId: user.userId, reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' });
    const blocked = t.ordering.envelope(OrderBlocked, { orderId: randomUUID(), userId: user.userId, reason: 'FAILED_PAYMENT_NO_FUNDS' });
    await t.ordering.publishEnvelopes([failed, blocked]);
    const mails = await t.waitForMails(mailing, { userId: user.userId }, 2);
    const byOrder = new Map(mails.map((mail) => [mail.orderId, mail]));
    expect(byOrder.get(failed.data.orderId)).toMatchObject({ kind: 'ORDER_FAILED', subject: `Your order ${failed.data.orderId} could not be completed` });
    expect(byOrder.get(failed.data.orderId)?.body).toContain('out of stock');
    expect(byOrder.get(blocked.data.orderId)?.body).toContain('balance did not cover');
  });

  it('an OrderShipped with digital products produces an EBOOK_DELIVERY mail; one without produces none', async () => {
    const mailing = await t.start();
    const user = await t.register({ name: 'Mary Shelley' });
    const physical = t.fulfillment.envelope(OrderShipped, { orderId: randomUUID(), userId: user.userId });
    const ebooks = t.fulfillment.envelope(OrderShipped, { orderId: randomUUID(), userId: user.userId, digitalProductIds: ['frankenstein', 'the-last-man'] });
    await t.fulfillment.publishEnvelopes([physical, ebooks]);
    const [mail] = await t.waitForMails(mailing, { userId: user.userId }, 1);
    expect(mail).toMatchObject({ kind: 'EBOOK_DELIVERY', orderId: ebooks.data.orderId, subject: 'Your 2 e-books are ready', to: { name: 'Mary Shelley' } });
    expect(mail?.body).toContain('/ebooks/frankenstein');
    expect(mail?.body).toContain('/ebooks/the-last-man');
    // The physical shipment was handled before (same stream, one consumer) and mailed nothing.
    expect(await t.mails(mailing, { orderId: physical.data.orderId })).toEqual([]);
    expect(await t.mails(mailing, { userId: user.userId })).toHaveLength(1);
  });

  it('a mail for a user mailing has never heard of goes to the dead list with the reason, and nothing is sent', async () => {
    const mailing = await t.start();
    const stranger = randomUUID();
    const order = await t.completeOrder(stranger);
    const [dead] = await waitFor(async () => {
      const list = await mailing.queue.listDead();
      return list.length === 1 ? list : null;
    }, { description: 'the mail job is buried' });
    expect(dead).toMatchObject({ id: mailIdFor(order.id), attempts: 1 });
    expect(dead?.error).toMatch(/^RECIPIENT_NOT_FOUND/);
    expect(await t.mails(mailing, { orderId: order.data.orderId })).toEqual([]);
    expect(await t.mailSentEvents()).toEqual([]);
  });
});

describe('history and downtime', () => {
  it('a first start does not mail orders from before mailing existed; orders completed while it was down are mailed after restart', async () => {
    const user = await t.register();
    const ancient = await t.completeOrder(user.userId);
    const first = await t.start();
    const current = await t.completeOrder(user.userId);
    await t.waitForMails(first, { userId: user.userId }, 1);
    await first.close();
    const whileDown = await t.completeOrder(user.userId);

    const second = await t.start();
    const mails = await t.waitForMails(second, { userId: user.userId }, 2);
    expect(mails.map((mail) => mail.orderId).sort()).toEqual([current.data.orderId, whileDown.data.orderId].sort());
    expect(await t.mails(second, { orderId: ancient.data.orderId })).toEqual([]);
  });
});

describe('GET /mails', () => {
  it('filters by user and order, newest first, up to the limit', async () => {
    const mailing = await t.start();
    const ada = await t.register({ name: 'Ada' });
    const bob = await t.register({ name: 'Bob' });
    const orders = [];
    for (let i = 0; i < 3; i++) {
      orders.push(await t.completeOrder(ada.userId));
      await t.waitForMails(mailing, { userId: ada.userId }, i + 1); // one at a time: distinct, ordered sentAt
    }
    const bobs = await t.completeOrder(bob.userId);
    await t.waitForMails(mailing, { userId: bob.userId }, 1);

    const adas = await t.mails(mailing, { userId: ada.userId });
    expect(adas.map((mail) => mail.orderId)).toEqual(orders.map((order) => order.data.orderId).reverse());
    expect((await t.mails(mailing, { userId: ada.userId, limit: 2 })).map((mail) => mail.orderId)).toEqual(
      orders.slice(1).map((order) => order.data.orderId).reverse(),
    );
    expect((await t.mails(mailing, { orderId: bobs.data.orderId })).map((mail) => mail.to.name)).toEqual(['Bob']);
    expect(await t.mails(mailing, { orderId: bobs.data.orderId, userId: ada.userId })).toEqual([]);
    expect(await t.mails(mailing)).toHaveLength(4);
  });

  it('answers 404 USER_NOT_FOUND for a user it has no recipient for, not an empty list', async () => {
    const mailing = await t.start();
    const reply = await mailing.app.inject({ method: 'GET', url: '/mails?userId=never-registered' });
    expect(reply.statusCode).toBe(404);
    expect(reply.json()).toMatchObject({ error: 'USER_NOT_FOUND', message: expect.any(String) });
  });

  it.each([['limit=0'], ['limit=101'], ['limit=abc'], ['userId=no%20spaces'], ['unknown=1']])('answers 400 for %s', async (query) => {
    const mailing = await t.start();
    const reply = await mailing.app.inject({ method: 'GET', url: `/mails?${query}` });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
  });
});
