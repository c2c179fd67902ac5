import { defineEvent, Type } from 'tributary';
import { Id } from './common.ts';

export const MAIL_KINDS = ['ORDER_COMPLETED', 'ORDER_FAILED', 'EBOOK_DELIVERY'] as const;

/** A mail was written to the mail log (the demo's stand-in for SMTP). */
export const MailSent = defineEvent({
  source: 'mailing',
  type: 'MailSent',
  version: 1,
  schema: Type.Object({
    mailId: Id,
    userId: Id,
    orderId: Type.Optional(Id),
    kind: Type.Union(MAIL_KINDS.map((kind) => Type.Literal(kind))),
  }),
});

export const mailingEvents = [MailSent] as const;
