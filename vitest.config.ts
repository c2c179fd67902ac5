import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that run for a minute or more (a whole system or two, or many
 * processes), longest first, measured with `npm test` (before-all hooks
 * included). They start before everything else so that the suite does not
 * end with one of them running alone while the other worker idles: on a
 * fresh clone vitest has no timings of its own and orders by file size.
 */
const LONGEST_FIRST = [
  'apps/cli/test/backup.test.ts',
  'test/chaos.test.ts',
  'apps/cli/test/launcher.test.ts',
  'test/scale.test.ts',
  'test/pglite-system.test.ts',
  'test/saga.test.ts',
  'apps/cli/test/system.test.ts',
  'services/lending/test/crash.test.ts',
  'apps/cli/test/commands.test.ts',
  'packages/kit/src/outbox/outbox.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = LONGEST_FIRST.indexOf(relative(file.project.config.root, file.moduleId));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    return sorted.map((file, order) => ({ file, order })).sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order).map(({ file }) => file);
  }
}

// Integration tests start real redis-server processes and service processes;
// two cores is the machine size, so files run with limited parallelism.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'services/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts', 'deploy/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    sequence: { sequencer: LongestFirst },
  },
});
