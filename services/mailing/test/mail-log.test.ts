import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useBusAndStore } from 'tributary/testing/vitest';
import { createMailLog, type SentMail } from '../src/store/mail-log.ts';
import { mailingKeys } from '../src/store/keys.ts';

const redis = useBusAndStore<{ close(): Promise<void> }>();

function mail(userId: string, n: number, orderId: string | null = randomUUID()): SentMail {
  return {
    mailId: randomUUID(),
    userId,
    orderId,
    kind: 'ORDER_COMPLETED',
    to: { name: 'Ada', email: 'ada@example.com', address: null },
    subject: `mail ${n}`,
    body: `body ${n}`,
    sentAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  };
}

describe('the mail log', () => {
  it("keeps a user's newest mails only: an older one leaves the log, its order's index and the global index", async () => {
    const log = createMailLog(redis.store, { ttlSeconds: 3600, perUser: 2, global: 100 });
    const ada = randomUUID();
    const bob = randomUUID();
    const adas = [mail(ada, 1), mail(ada, 2, null), mail(ada, 3), mail(ada, 4)];
    const bobs = mail(bob, 5);
    for (const one of [...adas, bobs]) expect(await log.record(one)).toBe(true);

    expect((await log.list({ userId: ada, limit: 10 })).map((one) => one.subject)).toEqual(['mail 4', 'mail 3']);
    for (const gone of adas.slice(0, 2)) {
      expect(await log.get(gone.mailId)).toBeNull();
      expect(await redis.store.exists(mailingKeys.mail(gone.mailId))).toBe(0);
      expect(await redis.store.zScore(mailingKeys.allMails, gone.mailId)).toBeNull();
    }
    const firstOrder = adas[0]!.orderId!;
    expect(await log.list({ orderId: firstOrder, limit: 10 })).toEqual([]);
    expect(await redis.store.exists(mailingKeys.orderMails(firstOrder))).toBe(0);
    expect((await log.list({ orderId: adas[3]!.orderId!, limit: 10 })).map((one) => one.subject)).toEqual(['mail 4']);
    // Another user's mails are not counted against Ada's bound.
    expect(await log.get(bobs.mailId)).toEqual(bobs);
    expect((await log.list({ limit: 10 })).map((one) => one.subject)).toEqual(['mail 5', 'mail 4', 'mail 3']);
  });

  it('records a mail id once', async () => {
    const log = createMailLog(redis.store, { ttlSeconds: 3600, perUser: 2, global: 100 });
    const one = mail(randomUUID(), 1);
    expect(await log.record(one)).toBe(true);
    expect(await log.record({ ...one, subject: 'changed' })).toBe(false);
    expect((await log.get(one.mailId))?.subject).toBe('mail 1');
  });
});
