import { describe, expect, it } from 'vitest';
import { completeRecord, normalizeInstant, type StoredStep } from './record.ts';

const ids = { deliveryId: 'd1', packageId: 'p1', orderId: 'o1' };
const step = (status: StoredStep['status'], at: string, reason: string | null = null): StoredStep => ({ status, at, reason });

describe('completeRecord', () => {
  it('is null until both CREATED and a terminal step are known', () => {
    expect(completeRecord(ids, [step('CREATED', '2024-01-01T10:00:00.000Z'), step('IN_TRANSIT', '2024-01-01T10:05:00.000Z')])).toBeNull();
    expect(completeRecord(ids, [step('DELIVERED', '2024-01-01T10:20:00.000Z')])).toBeNull();
  });

  it('builds the record from the steps, in the order they happened', () => {
    const record = completeRecord(ids, [
      step('DELIVERED', '2024-01-01T10:20:00.000Z'),
      step('PICKED_UP', '2024-01-01T10:01:00.000Z'),
      step('CREATED', '2024-01-01T10:00:00.000Z'),
    ]);
    expect(record).toEqual({
      ...ids,
      status: 'DELIVERED',
      reason: null,
      steps: [
        { status: 'CREATED', at: '2024-01-01T10:00:00.000Z' },
        { status: 'PICKED_UP', at: '2024-01-01T10:01:00.000Z' },
        { status: 'DELIVERED', at: '2024-01-01T10:20:00.000Z' },
      ],
      startedAt: '2024-01-01T10:00:00.000Z',
      finishedAt: '2024-01-01T10:20:00.000Z',
      durationSeconds: 1_200,
    });
  });

  it('keeps the failure reason, takes the earlier of two terminal steps, and never has a negative duration', () => {
    const failed = completeRecord(ids, [
      step('CREATED', '2024-01-01T10:00:00.000Z'),
      step('DELIVERED', '2024-01-01T10:30:00.000Z'),
      step('FAILED', '2024-01-01T10:10:00.500Z', 'DRONE_LOST'),
    ]);
    expect(failed).toMatchObject({ status: 'FAILED', reason: 'DRONE_LOST', durationSeconds: 600.5, finishedAt: '2024-01-01T10:10:00.500Z' });
    const skewed = completeRecord(ids, [step('CREATED', '2024-01-01T10:00:00.000Z'), step('FAILED', '2024-01-01T09:59:59.000Z', 'NO_DRONE_AVAILABLE')]);
    expect(skewed?.durationSeconds).toBe(0);
  });

  it('orders steps at the same instant by their place in the lifecycle', () => {
    const at = '2024-01-01T10:00:00.000Z';
    const record = completeRecord(ids, [step('FAILED', at, 'NO_DRONE_AVAILABLE'), step('CREATED', at)]);
    expect(record?.steps.map((s) => s.status)).toEqual(['CREATED', 'FAILED']);
  });
});

describe('normalizeInstant', () => {
  it('writes every RFC 3339 form as UTC with milliseconds', () => {
    expect(normalizeInstant('2024-01-01T12:00:00+02:00')).toBe('2024-01-01T10:00:00.000Z');
    expect(normalizeInstant('2024-01-01T10:00:00.123456Z')).toBe('2024-01-01T10:00:00.123Z');
  });
});
