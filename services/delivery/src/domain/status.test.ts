import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DELIVERY_STATUSES, DRONE_PHASES, type DeliveryStatus } from '@tributary/contracts';
import { isTerminal, phaseStatus, readingApplies, sortSteps, STATUS_RANK, stepsTo } from './status.ts';

describe('stepsTo', () => {
  it('fills the steps a delivery skipped, in order', () => {
    expect(stepsTo('CREATED', 'PICKED_UP')).toEqual(['PICKED_UP']);
    expect(stepsTo('CREATED', 'IN_TRANSIT')).toEqual(['PICKED_UP', 'IN_TRANSIT']);
    expect(stepsTo('CREATED', 'DELIVERED')).toEqual(['PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);
    expect(stepsTo('PICKED_UP', 'DELIVERED')).toEqual(['IN_TRANSIT', 'DELIVERED']);
  });

  it('reaches FAILED alone, from any state in flight', () => {
    for (const status of ['CREATED', 'PICKED_UP', 'IN_TRANSIT'] as const) expect(stepsTo(status, 'FAILED')).toEqual(['FAILED']);
  });

  it('never moves back, sideways or out of a terminal state', () => {
    expect(stepsTo('IN_TRANSIT', 'PICKED_UP')).toEqual([]);
    expect(stepsTo('IN_TRANSIT', 'IN_TRANSIT')).toEqual([]);
    expect(stepsTo('DELIVERED', 'FAILED')).toEqual([]);
    expect(stepsTo('FAILED', 'DELIVERED')).toEqual([]);
  });
});

describe('readingApplies', () => {
  it('takes only newer readings that do not move the status back', () => {
    expect(readingApplies({ status: 'CREATED', seq: -1 }, { seq: 0, phase: 'TO_PICKUP' })).toBe(true);
    expect(readingApplies({ status: 'PICKED_UP', seq: 4 }, { seq: 4, phase: 'IN_TRANSIT' })).toBe(false);
    expect(readingApplies({ status: 'PICKED_UP', seq: 4 }, { seq: 5, phase: 'TO_PICKUP' })).toBe(false);
    expect(readingApplies({ status: 'DELIVERED', seq: 4 }, { seq: 9, phase: 'DELIVERED' })).toBe(false);
  });

  it('maps TO_PICKUP to no new status', () => {
    expect(phaseStatus('TO_PICKUP')).toBe('CREATED');
    expect(stepsTo('CREATED', phaseStatus('TO_PICKUP'))).toEqual([]);
  });

  it('whatever the readings, the status never goes down and a terminal one never changes', () => {
    const reading = fc.record({ seq: fc.nat({ max: 30 }), phase: fc.constantFrom(...DRONE_PHASES) });
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 40 }), (readings) => {
        let state: { status: DeliveryStatus; seq: number } = { status: 'CREATED', seq: -1 };
        for (const next of readings) {
          const before = state;
          if (readingApplies(state, next)) {
            const steps = stepsTo(state.status, phaseStatus(next.phase));
            state = { status: steps.at(-1) ?? state.status, seq: next.seq };
          }
          expect(STATUS_RANK[state.status]).toBeGreaterThanOrEqual(STATUS_RANK[before.status]);
          if (isTerminal(before.status)) expect(state).toEqual(before);
        }
      }),
    );
  });
});

it('sortSteps puts steps in the order they can happen', () => {
  const shuffled = [...DELIVERY_STATUSES].reverse().map((status) => ({ status, at: 'x' }));
  expect(sortSteps(shuffled).map((step) => step.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED', 'FAILED']);
});
