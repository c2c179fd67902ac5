import { type Publisher } from 'tributary';
import { PermanentJobError, type JobHandler } from 'tributary/queue';
import { MailSent, UserRegistered } from '@tributary/contracts';
import { causeOf, type MailJob } from '../domain/mail-job.ts';
import { renderMail } from '../domain/render.ts';
import type { MailLog, SentMail } from '../store/mail-log.ts';
import type { RecipientStore } from '../store/recipient-store.ts';
import type { RecipientsProjection } from './recipients-projection.ts';

/** Thrown (and retried with backoff) while the recipients copy is behind the accounts stream. */
export class RecipientsBehindError extends Error {
  constructor(readonly target: string) {
    super(`the recipients projection has not reached ${UserRegistered.stream} ${target} yet`);
    this.name = 'RecipientsBehindError';
  }
}

/**
 * The mail worker's handler. Before rendering it takes the accounts
 * stream's tip as it is *now* (read after the job started) and waits until
 * the recipients projection has applied up to it, so a name changed while
 * mailing was down (or before the order completed) is in the mail. Then:
 * render, write to the mail log (idempotent by mail id), publish MailSent
 * under an id derived from the cause. A job that ran before and crashed
 * after the log write re-publishes the same MailSent without rendering again.
 */
export function sendMailHandler(deps: {
  recipients: RecipientsProjection;
  recipientStore: RecipientStore;
  mailLog: MailLog;
  publisher: Publisher;
  catchUpTimeoutMs: number;
}): JobHandler<typeof MailJob> {
  return async (job, context) => {
    // The tips are read beside the log, not after it: a mail sent before
    // (the job ran again after a crash) wastes one read, every other mail
    // saves a round trip.
    const [sent, tips] = await Promise.all([deps.mailLog.get(job.mailId), deps.recipients.tips()]);
    let mail: SentMail | null = sent;
    if (!mail) {
      if (!(await deps.recipients.waitFor(tips, { timeoutMs: deps.catchUpTimeoutMs, signal: context.signal }))) {
        throw new RecipientsBehindError(tips[UserRegistered.stream] ?? '?');
      }
      const recipient = await deps.recipientStore.get(job.userId);
      if (!recipient) throw new PermanentJobError(`RECIPIENT_NOT_FOUND: mailing has no name and email for user ${job.userId}`);
      const { subject, body } = renderMail(job, recipient);
      mail = {
        mailId: job.mailId,
        userId: job.userId,
        orderId: job.orderId ?? null,
        kind: job.kind,
        to: { name: recipient.name, email: recipient.email, address: recipient.address },
        subject,
        body,
        sentAt: new Date().toISOString(),
      };
      await deps.mailLog.record(mail);
    }
    await deps.publisher.publish(
      MailSent,
      { mailId: mail.mailId, userId: mail.userId, kind: mail.kind, ...(mail.orderId ? { orderId: mail.orderId } : {}) },
      { causedBy: causeOf(job) },
    );
  };
}
