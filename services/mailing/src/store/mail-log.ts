import { Type, runLuaScript, type RedisClient, type Static } from 'tributary';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Id } from '@tributary/contracts';
import { MailKind } from '../domain/mail-job.ts';
import { mailingKeys } from './keys.ts';
import { recordMailScript } from './scripts.ts';

export const SentMail = Type.Object({
  mailId: Id,
  userId: Id,
  orderId: Type.Union([Id, Type.Null()]),
  kind: MailKind,
  to: Type.Object({ name: Type.String(), email: Type.String(), address: Type.Union([Type.String(), Type.Null()]) }),
  subject: Type.String(),
  body: Type.String(),
  sentAt: Type.String(),
});
export type SentMail = Static<typeof SentMail>;

/** The mail hash as read back from Redis: flat strings, absent fields for nulls. */
const StoredMail = TypeCompiler.Compile(
  Type.Object({
    mailId: Id,
    userId: Id,
    orderId: Type.Optional(Id),
    kind: MailKind,
    toName: Type.String(),
    toEmail: Type.String(),
    toAddress: Type.Optional(Type.String()),
    subject: Type.String(),
    body: Type.String(),
    sentAt: Type.String(),
  }),
);

export interface MailLogLimits {
  /** A mail (and a user's or order's index) is kept this long after the last write. */
  ttlSeconds: number;
  /** A user's newest mails kept; an older one leaves the log (its order's index too). */
  perUser: number;
  /** The newest mails listed without a user or order (their hashes stay while their users keep them). */
  global: number;
}

export const mailLogDefaults: MailLogLimits = { ttlSeconds: 30 * 24 * 60 * 60, perUser: 100, global: 10_000 };

export interface MailLog {
  /** Records a mail unless its id is recorded already; true when written now. */
  record(mail: SentMail): Promise<boolean>;
  get(mailId: string): Promise<SentMail | null>;
  /** Newest first. */
  list(query: { userId?: string; orderId?: string; limit: number }): Promise<SentMail[]>;
}

function toFields(mail: SentMail): string[] {
  const fields: Record<string, string> = {
    mailId: mail.mailId,
    userId: mail.userId,
    kind: mail.kind,
    toName: mail.to.name,
    toEmail: mail.to.email,
    subject: mail.subject,
    body: mail.body,
    sentAt: mail.sentAt,
  };
  if (mail.orderId !== null) fields.orderId = mail.orderId;
  if (mail.to.address !== null) fields.toAddress = mail.to.address;
  return Object.entries(fields).flat();
}

function fromHash(hash: Record<string, string>): SentMail | null {
  if (!StoredMail.Check(hash)) return null;
  return {
    mailId: hash.mailId,
    userId: hash.userId,
    orderId: hash.orderId ?? null,
    kind: hash.kind,
    to: { name: hash.toName, email: hash.toEmail, address: hash.toAddress ?? null },
    subject: hash.subject,
    body: hash.body,
    sentAt: hash.sentAt,
  };
}

export function createMailLog(redis: RedisClient, limits: MailLogLimits = mailLogDefaults): MailLog {
  const get = async (mailId: string) => fromHash(await redis.hGetAll(mailingKeys.mail(mailId)));
  return {
    async record(mail) {
      const reply = await runLuaScript<number>(
        redis,
        recordMailScript,
        [
          mailingKeys.mail(mail.mailId),
          mailingKeys.userMails(mail.userId),
          mailingKeys.orderMails(mail.orderId ?? '-'),
          mailingKeys.allMails,
        ],
        [
          mail.mailId,
          Date.parse(mail.sentAt),
          limits.ttlSeconds,
          limits.perUser,
          limits.global,
          mail.orderId === null ? '0' : '1',
          mailingKeys.mail(''),
          mailingKeys.orderMails(''),
          ...toFields(mail),
        ],
      );
      return Number(reply) === 1;
    },
    get,
    async list(query) {
      const index = query.orderId ? mailingKeys.orderMails(query.orderId) : query.userId ? mailingKeys.userMails(query.userId) : mailingKeys.allMails;
      const found: SentMail[] = [];
      // Pages, because an index can still name a mail whose hash has expired.
      const page = Math.max(query.limit, 20);
      for (let start = 0; found.length < query.limit && start < page * 5; start += page) {
        const ids = await redis.sendCommand<string[]>(['ZREVRANGE', index, String(start), String(start + page - 1)]);
        const mails = await Promise.all(ids.map(get));
        for (const mail of mails) {
          if (!mail || (query.userId && mail.userId !== query.userId)) continue;
          if (found.length < query.limit) found.push(mail);
        }
        if (ids.length < page) break;
      }
      return found;
    },
  };
}
