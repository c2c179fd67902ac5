import { describe, expect, it } from 'vitest';
import { counterCellText, playTable41, playTable42, setCellText, startTwoRegions } from '../src/regions/tables.ts';
import { runCli } from './harness.ts';

/** The book's chapter 4 tables, row by row, on two real redis-servers. */
describe('tributary regions', () => {
  it('plays Table 4-1: each side counts alone while disconnected, the sync sums both (25 / 25)', async () => {
    const regions = await startTwoRegions();
    try {
      const rows = await playTable41(regions);
      expect(rows.map(({ step, operation, a, b }) => [step, operation, a, b])).toEqual([
        [0, 'Initial Sync Value', 0, 0],
        [1, 'INCR foo', 1, 0],
        [2, 'INCRBY foo 2', 3, 0],
        [3, 'DECR foo', 2, 0],
        [4, 'INCRBY foo 10', 2, 10],
        [5, 'INCRBY foo 13', 2, 23],
        [6, 'Sync', 25, 25],
      ]);
      expect(rows.map((row, i) => [counterCellText(row, 'a', rows[i - 1]), counterCellText(row, 'b', rows[i - 1])])).toEqual([
        ['Not set (0)', 'Not set (0)'],
        ['1', 'Disconnected (0)'],
        ['3', '(0)'],
        ['2', '(0)'],
        ['Disconnected (2)', '10'],
        ['(2)', '23'],
        ['25', '25'],
      ]);
    } finally {
      await regions.close();
    }
  });

  it('plays Table 4-2: add wins, and the remove of a member A never saw is ignored ([jorma, grace] on both)', async () => {
    const regions = await startTwoRegions();
    try {
      const rows = await playTable42(regions);
      expect(rows.map((row) => [row.step, setCellText(row.a), setCellText(row.b)])).toEqual([
        [0, '> SMEMBERS group []', '> SMEMBERS group []'],
        [1, '> SADD group paul', ''],
        [2, '', '> SADD group jorma'],
        [3, '> SMEMBERS group [paul]', '> SMEMBERS group [jorma]'],
        [4, 'Sync', ''],
        [5, '> SMEMBERS group [paul, jorma]', '> SMEMBERS group [paul, jorma]'],
        [6, '> SREM group paul', '> SADD group grace'],
        [7, '> SREM group grace', ''],
        [8, 'Sync', ''],
        [9, '> SMEMBERS group [jorma, grace]', '> SMEMBERS group [jorma, grace]'],
      ]);
      expect(rows[6]?.a).toMatchObject({ command: 'SREM', outcome: 'removed' });
      expect(rows[7]?.a).toMatchObject({ command: 'SREM', outcome: 'ignored' });
      // Between the syncs each side sees only its own changes.
      expect(rows[7]?.members).toEqual({ a: ['jorma'], b: ['paul', 'jorma', 'grace'] });
    } finally {
      await regions.close();
    }
  });

  it('prints both tables, as text and as --json', async () => {
    const text = await runCli(['regions', 'table-4-1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^6\s+Sync\s+25\s+25$/m);
    const json = await runCli(['regions', 'table-4-2', '--json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ members: { a: string[]; b: string[] } }>;
    expect(rows.at(-1)?.members).toEqual({ a: ['jorma', 'grace'], b: ['jorma', 'grace'] });
  });
});
