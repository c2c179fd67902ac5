import { describe, expect, it } from 'vitest';
import { parseRecentFailure, summarize } from './failures.ts';

describe('summarize', () => {
  it('lists every reason, zeros included, and totals only known reasons', () => {
    const report = summarize({ FAILED_PAYMENT_NO_FUNDS: '3', SHIPMENT_FAILED_OUT_OF_STOCK: '2', SOMETHING_ELSE: '9' }, []);
    expect(report).toEqual({
      counts: { FAILED_PAYMENT_NO_FUNDS: 3, FAILED_PAYMENT_UNKNOWN_USER: 0, SHIPMENT_FAILED_BANNED_PRODUCT: 0, SHIPMENT_FAILED_OUT_OF_STOCK: 2, FAILED_STUCK_RESOLVED_BY_OPERATOR: 0 },
      total: 5,
      recent: [],
    });
  });
});

describe('parseRecentFailure', () => {
  it('keeps well-formed entries and drops the rest', () => {
    const entry = { orderId: 'o-1', reason: 'FAILED_PAYMENT_NO_FUNDS', at: '2026-01-01T00:00:00.000Z' };
    expect(parseRecentFailure(JSON.stringify(entry))).toEqual(entry);
    expect(parseRecentFailure(JSON.stringify({ ...entry, reason: 'GREMLINS' }))).toBeNull();
    expect(parseRecentFailure('{not json')).toBeNull();
  });
});
