import { type RedisClient } from 'tributary';
import { createQueue, type Queue } from 'tributary/queue';
import { MailJob } from '../domain/mail-job.ts';
import { mailingKeys } from './keys.ts';

export type MailQueue = Queue<typeof MailJob>;

/**
 * Mails to send, in the store Redis (`mailing:{mail-jobs}:…`); a job's id is
 * its mail id, remembered `dedupWindowMs` (the kit queue's week by default)
 * so a redelivered event mails once.
 */
export function createMailQueue(redis: RedisClient, dedupWindowMs?: number): MailQueue {
  return createQueue({ redis, name: mailingKeys.mailQueue, schema: MailJob, ...(dedupWindowMs === undefined ? {} : { dedupWindowMs }) });
}
