import { describe, expect, it } from 'vitest';
import { dayOf, daysBetween, daySpan, parseDay, partitionSegments, type Day } from './days.ts';

describe('days', () => {
  it('accepts only real calendar dates written YYYY-MM-DD', () => {
    expect(parseDay('2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-1-01', '24-01-01', '2024-01-01T00:00:00Z', "2024-01-01' OR 1=1", '../2024-01-01', '']) {
      expect(parseDay(bad), bad).toBeNull();
    }
  });

  it('takes the UTC day of an instant, whatever its offset', () => {
    expect(dayOf('2024-02-29T23:59:59.999Z')).toBe('2024-02-29');
    expect(dayOf('2024-03-01T00:30:00+02:00')).toBe('2024-02-29');
  });

  it('counts and lists days across month, year and leap-day boundaries', () => {
    const day = (text: string) => parseDay(text) as Day;
    expect(daySpan(day('2024-01-01'), day('2024-12-31'))).toBe(366);
    expect(daySpan(day('2024-03-05'), day('2024-03-05'))).toBe(1);
    expect(daysBetween(day('2024-02-28'), day('2024-03-01'))).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(daysBetween(day('2023-12-31'), day('2024-01-01'))).toEqual(['2023-12-31', '2024-01-01']);
  });

  it('names partitions with zero-padded month and day', () => {
    expect(partitionSegments(parseDay('2024-03-05') as Day)).toEqual(['year=2024', 'month=03', 'day=05']);
  });
});
