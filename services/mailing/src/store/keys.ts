/**
 * Every Redis key of the mailing store is built here and nowhere else. All
 * live in the service's own store Redis under `mailing:`. Keys a MULTI or a
 * script touches together share a hash tag (Redis Cluster): the recipients
 * read model and its checkpoints `{recipients}`, the mail log `{mails}`.
 */
export const SERVICE = 'mailing';

const RECIPIENTS = `${SERVICE}:{recipients}`;
const MAILS = `${SERVICE}:{mails}`;

export const mailingKeys = {
  /** Hash: name, email, country, address (absent when null). */
  recipient: (userId: string): string => `${RECIPIENTS}:user:${userId}`,
  /** Everything a rebuild of the recipients projection deletes. */
  recipientsPrefix: `${RECIPIENTS}:user:`,
  /** Namespace of the recipients projection's checkpoints. */
  recipientsCheckpoints: `${RECIPIENTS}:projection`,
  /** Hash: one sent mail (see mail-log.ts). */
  mail: (mailId: string): string => `${MAILS}:mail:${mailId}`,
  /** Sorted sets, score = sent at (ms), member = mail id. */
  userMails: (userId: string): string => `${MAILS}:by-user:${userId}`,
  orderMails: (orderId: string): string => `${MAILS}:by-order:${orderId}`,
  allMails: `${MAILS}:all`,
  /** Name of the kit queue of mails to send (its keys are `mailing:{mail-jobs}:…`). */
  mailQueue: `${SERVICE}:mail-jobs`,
} as const;
