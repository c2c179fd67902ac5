import { describe, expect, it } from 'vitest';
import { isLeaderboard, mergeLines } from './leaderboards.ts';

describe('mergeLines', () => {
  it('sums the units of a product listed twice, in order of first appearance', () => {
    expect(mergeLines([{ productId: 'b', quantity: 1 }, { productId: 'a', quantity: 2 }, { productId: 'b', quantity: 3 }])).toEqual([
      { productId: 'b', quantity: 4 },
      { productId: 'a', quantity: 2 },
    ]);
  });
});

describe('isLeaderboard', () => {
  it('knows exactly the two boards', () => {
    expect(['best-sellers', 'top-spenders', 'worst-sellers', ''].map(isLeaderboard)).toEqual([true, true, false, false]);
  });
});
