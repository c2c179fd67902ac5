import type { Command } from 'commander';
import type { Output } from '../output.ts';
import { counterCellText, playTable41, playTable42, setCellText, startTwoRegions, type TwoRegions } from '../regions/tables.ts';
import { table } from '../table.ts';

interface TableOptions {
  json: boolean;
}

/**
 * `tributary regions table-4-1|table-4-2`: the book's Active/Active tables
 * played on two private redis-servers (started and stopped here, nothing of a
 * running system is touched), printed step by step.
 */
export function registerRegions(program: Command, output: Output): void {
  const regions = program
    .command('regions')
    .description('Active/Active regions on open-source Redis (the book\'s chapter 4): replay its conflict tables');
  regions
    .command('table-4-1')
    .description('Table 4-1 "Resolving Counter Conflicts": INCRBY on both sides of a partition, then a sync (ends 25 / 25)')
    .option('--json', 'the rows as one JSON array')
    .action(async (options: TableOptions) => {
      const rows = await withTwoRegions(playTable41);
      if (options.json) return output.line(JSON.stringify(rows));
      for (const line of table(
        ['Step', 'Operation', 'Cluster A Value', 'Cluster B Value'],
        rows.map((row, i) => [
          String(row.step),
          row.on === 'both' ? row.operation : `> ${row.operation}`,
          counterCellText(row, 'a', rows[i - 1]),
          counterCellText(row, 'b', rows[i - 1]),
        ]),
      )) output.line(line);
    });
  regions
    .command('table-4-2')
    .description('Table 4-2 "Resolving Set Conflicts": add wins, observed remove (ends [jorma, grace] on both)')
    .option('--json', 'the rows as one JSON array')
    .action(async (options: TableOptions) => {
      const rows = await withTwoRegions(playTable42);
      if (options.json) return output.line(JSON.stringify(rows));
      for (const line of table(
        ['Step', 'Cluster A Value', 'Cluster B Value'],
        rows.map((row) => [String(row.step), setCellText(row.a), setCellText(row.b)]),
      )) output.line(line);
    });
}

async function withTwoRegions<T>(play: (regions: TwoRegions) => Promise<T>): Promise<T> {
  const regions = await startTwoRegions();
  try {
    return await play(regions);
  } finally {
    await regions.close();
  }
}
