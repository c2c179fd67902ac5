import type { BatchHandler, Envelope, EventData, EventDefinition } from 'tributary';
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

/**
 * For `consumer.onBatch`: the mails one read asks for are pushed together
 * (each push is one script call, all issued in one tick, so node-redis sends
 * them as one pipeline); a push that fails is retried on its own.
 */
function queueMails<D extends EventDefinition>(queue: MailQueue, jobFor: (event: Envelope<EventData<D>>) => JobFields | null): BatchHandler<D> {
  return async (events) => {
    const pushed = await Promise.allSettled(
      events.map(async (event) => {
        const fields = jobFor(event);
        if (fields) await queueMail(queue, event, fields);
      }),
    );
    const failed = pushed.flatMap((result, index) =>
      result.status === 'rejected' ? [{ index, error: result.reason instanceof Error ? result.reason : new Error(String(result.reason)) }] : [],
    );
    return failed.length > 0 ? { failed } : undefined;
  };
}

export function orderCompletedHandler(queue: MailQueue): BatchHandler<typeof OrderCompleted> {
  return queueMails(queue, (event) => ({ kind: 'ORDER_COMPLETED', userId: event.data.userId, orderId: event.data.orderId, totalCents: event.data.totalCents }));
}

/** OrderFailed (refunded) and OrderBlocked (no funds): the customer hears about both. */
export function orderFailedHandler<D extends typeof OrderFailed | typeof OrderBlocked>(queue: MailQueue): BatchHandler<D> {
  return queueMails(queue, (event) => ({ kind: 'ORDER_FAILED', userId: event.data.userId, orderId: event.data.orderId, reason: event.data.reason }));
}

/** Only shipments with digital products mail anything: the e-books. */
export function orderShippedHandler(queue: MailQueue): BatchHandler<typeof OrderShipped> {
  return queueMails(queue, (event) => {
    const { orderId, userId, digitalProductIds } = event.data;
    if (!userId || !digitalProductIds || digitalProductIds.length === 0) return null;
    return { kind: 'EBOOK_DELIVERY', userId, orderId, productIds: digitalProductIds };
  });
}
