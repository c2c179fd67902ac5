import type { Envelope, Handler } from 'tributary';
import type { OrderBlocked, OrderCompleted, OrderFailed, OrderShipped } from '@tributary/contracts';
import { causeFrom, mailIdFor, type MailJob } from '../domain/mail-job.ts';
import type { MailQueue } from '../store/mail-queue.ts';

type JobFields = Omit<MailJob, 'mailId' | 'cause'>;

/**
 * Queues the mail an event asks for. The job id is the mail id, derived from
 * the event id, and the queue's push is idempotent by id in one script: a
 * redelivered event queues nothing new. Rendering waits for the worker, which
 * reads the recipient at send time.
 */
async function queueMail(queue: MailQueue, event: Envelope, fields: JobFields): Promise<void> {
  const mailId = mailIdFor(event.id);
  await queue.push({ ...fields, mailId, cause: causeFrom(event) }, { id: mailId });
}

export function orderCompletedHandler(queue: MailQueue): Handler<typeof OrderCompleted> {
  return (event) => queueMail(queue, event, { kind: 'ORDER_COMPLETED', userId: event.data.userId, orderId: event.data.orderId, totalCents: event.data.totalCents });
}

/** OrderFailed (refunded) and OrderBlocked (no funds): the customer hears about both. */
export function orderFailedHandler(queue: MailQueue): Handler<typeof OrderFailed | typeof OrderBlocked> {
  return (event) => queueMail(queue, event, { kind: 'ORDER_FAILED', userId: event.data.userId, orderId: event.data.orderId, reason: event.data.reason });
}

/** Only shipments with digital products mail anything: the e-books. */
export function orderShippedHandler(queue: MailQueue): Handler<typeof OrderShipped> {
  return async (event) => {
    const { orderId, userId, digitalProductIds } = event.data;
    if (!userId || !digitalProductIds || digitalProductIds.length === 0) return;
    await queueMail(queue, event, { kind: 'EBOOK_DELIVERY', userId, orderId, productIds: digitalProductIds });
  };
}
