import { describe, expect, it } from 'vitest';
import { formatCents, renderMail } from './render.ts';
import type { MailJob } from './mail-job.ts';

const recipient = { userId: 'u1', name: 'Ada Lovelace', email: 'ada@example.com', address: '12 Analytical St', country: 'GB' };
const cause = { id: 'e1', type: 'OrderCompleted', version: 1, source: 'ordering', time: '2024-01-01T00:00:00.000Z', correlationId: 'c1', traceparent: '' };

describe('renderMail', () => {
  it('greets the recipient by the name it is given and names the order', () => {
    const job: MailJob = { mailId: 'm1', kind: 'ORDER_COMPLETED', userId: 'u1', orderId: 'o1', totalCents: 12_345, cause };
    const mail = renderMail(job, recipient);
    expect(mail.subject).toBe('Your order o1 is complete');
    expect(mail.body).toMatch(/^Dear Ada Lovelace,\n/);
    expect(mail.body).toContain('(total 123.45)');
    expect(mail.body).toContain('to 12 Analytical St');
    expect(renderMail(job, { ...recipient, name: 'Ada King', address: null }).body).toMatch(/^Dear Ada King,[\s\S]*on its way\./);
  });

  it('explains a failure by its reason', () => {
    const mail = renderMail({ mailId: 'm1', kind: 'ORDER_FAILED', userId: 'u1', orderId: 'o1', reason: 'SHIPMENT_FAILED_BANNED_PRODUCT', cause }, recipient);
    expect(mail.subject).toBe('Your order o1 could not be completed');
    expect(mail.body).toContain('cannot be shipped to your country');
  });

  it('lists every e-book of an order', () => {
    const mail = renderMail({ mailId: 'm1', kind: 'EBOOK_DELIVERY', userId: 'u1', orderId: 'o1', productIds: ['p1', 'p2'], cause }, recipient);
    expect(mail.subject).toBe('Your 2 e-books are ready');
    expect(mail.body).toContain('/ebooks/p1?order=o1');
    expect(mail.body).toContain('/ebooks/p2?order=o1');
  });

  it('formats cents', () => {
    expect([formatCents(0), formatCents(5), formatCents(100), formatCents(123_456)]).toEqual(['0.00', '0.05', '1.00', '1234.56']);
  });
});
