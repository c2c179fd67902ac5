import { Type, deriveEventId, type Envelope, type Static } from 'tributary';
import { Cents, FailureReason, Id, MAIL_KINDS } from '@tributary/contracts';

export const MailKind = Type.Union(MAIL_KINDS.map((kind) => Type.Literal(kind)));
export type MailKind = Static<typeof MailKind>;

/**
 * A mail to send, as queued by an event handler. It carries what the event
 * said, not the recipient: name and address are read when the mail is sent,
 * from mailing's own copy (so a name changed meanwhile is used).
 */
export const MailJob = Type.Object(
  {
    mailId: Id,
    kind: MailKind,
    userId: Id,
    orderId: Type.Optional(Id),
    totalCents: Type.Optional(Cents),
    reason: Type.Optional(FailureReason),
    productIds: Type.Optional(Type.Array(Id, { maxItems: 100 })),
    /** The event that caused the mail: MailSent is caused by it and stays in its trace. */
    cause: Type.Object({
      id: Type.String({ minLength: 1 }),
      type: Type.String({ minLength: 1 }),
      version: Type.Integer({ minimum: 1 }),
      source: Type.String({ minLength: 1 }),
      time: Type.String(),
      correlationId: Type.String({ minLength: 1 }),
      traceparent: Type.String(),
    }),
  },
  { additionalProperties: false },
);
export type MailJob = Static<typeof MailJob>;

/** One mail per causing event: the id is derived from it, so a redelivered event maps to the same mail. */
export function mailIdFor(eventId: string): string {
  return deriveEventId(eventId, 'mail');
}

/** The causing event's envelope without its data: enough for `publish(…, { causedBy })`. */
export function causeOf(job: MailJob): Envelope<null> {
  const { id, type, version, source, time, correlationId, traceparent } = job.cause;
  return { id, type, version, source, time, correlationId, causationId: null, traceparent, data: null };
}

export function causeFrom(event: Envelope): MailJob['cause'] {
  const { id, type, version, source, time, correlationId, traceparent } = event;
  return { id, type, version, source, time, correlationId, traceparent };
}
