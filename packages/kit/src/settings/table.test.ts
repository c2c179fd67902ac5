import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { settingsTable } from './table.ts';

describe('settingsTable', () => {
  it('documents each setting with its variable, meaning, default and rule', () => {
    const schema = Type.Object({
      batch: Type.Integer({ env: 'DEMO_BATCH', default: 200, minimum: 1, description: 'items per run' }),
      verbose: Type.Boolean({ env: 'DEMO_VERBOSE', default: false, description: 'log a|b' }),
    });
    expect(settingsTable(schema)).toEqual([
      '| `DEMO_BATCH` | items per run | `200` | a whole number >= 1 |',
      '| `DEMO_VERBOSE` | log a\\|b | `0` | a flag (1/0, true/false, yes/no) |',
    ]);
  });
});
