import type { FailureReason } from '@tributary/contracts';
import type { Static } from 'tributary';
import type { MailJob } from './mail-job.ts';
import type { Recipient } from './recipient.ts';

export interface RenderedMail {
  subject: string;
  body: string;
}

const REASONS: Record<Static<typeof FailureReason>, string> = {
  FAILED_PAYMENT_NO_FUNDS: 'your available balance did not cover the order, so nothing was charged',
  FAILED_PAYMENT_UNKNOWN_USER: 'we could not find the account to charge, so nothing was charged',
  SHIPMENT_FAILED_BANNED_PRODUCT: 'a product in it cannot be shipped to your country; your money has been refunded',
  SHIPMENT_FAILED_OUT_OF_STOCK: 'a product in it was out of stock; your money has been refunded',
  FAILED_STUCK_RESOLVED_BY_OPERATOR: 'we could not ship it in time; your money has been refunded',
};

export function formatCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** Pure: the same job and recipient always render the same mail. */
export function renderMail(job: MailJob, recipient: Recipient): RenderedMail {
  const greeting = `Dear ${recipient.name},`;
  const order = job.orderId ?? 'your order';
  switch (job.kind) {
    case 'ORDER_COMPLETED':
      return {
        subject: `Your order ${order} is complete`,
        body: [
          greeting,
          '',
          `your order ${order}${job.totalCents === undefined ? '' : ` (total ${formatCents(job.totalCents)})`} has been completed and is on its way${recipient.address ? ` to ${recipient.address}` : ''}.`,
          '',
          'Thank you for shopping with us.',
        ].join('\n'),
      };
    case 'ORDER_FAILED':
      return {
        subject: `Your order ${order} could not be completed`,
        body: [greeting, '', `we are sorry: your order ${order} could not be completed because ${job.reason ? REASONS[job.reason] : 'of a problem on our side'}.`].join('\n'),
      };
    case 'EBOOK_DELIVERY': {
      const products = job.productIds ?? [];
      return {
        subject: products.length === 1 ? 'Your e-book is ready' : `Your ${products.length} e-books are ready`,
        body: [greeting, '', `the e-books of order ${order} are ready to download:`, ...products.map((id) => `  /ebooks/${id}?order=${order}`), '', 'Happy reading.'].join('\n'),
      };
    }
  }
}
