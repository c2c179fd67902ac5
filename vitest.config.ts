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
  // Two system starts with TEST_DATABASE_URL, none without it.
  'apps/cli/test/backup-postgres.test.ts',
  'test/sentinel-system.test.ts',
  'test/chaos.test.ts',
  'apps/cli/test/launcher.test.ts',
  'test/scale.test.ts',
  'test/pglite-system.test.ts',
  'test/regions.test.ts',
  'test/saga.test.ts',
  'test/tls-system.test.ts',
  'test/cluster-system.test.ts',
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

/**
 * Files that change what a whole process shares: the global OpenTelemetry
 * tracer provider and exporters, and environment variables read at a
 * module's load. Each gets a process of its own; every other file shares
 * its worker's process with the files before it (`isolate: false`), which
 * spares the suite a fresh import of the kit per file (about 300 s of the
 * 800 s it took with a process per file).
 */
const PROCESS_OF_ITS_OWN = [
  'packages/kit/src/telemetry/logger.test.ts',
  'packages/kit/src/telemetry/otlp-export.test.ts',
  'packages/kit/src/telemetry/periodic.test.ts',
  'packages/kit/src/telemetry/sampling.test.ts',
  'packages/kit/src/telemetry/tracing.test.ts',
  'services/gateway/test/trace-propagation.test.ts',
];

const ALL_TESTS = ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'services/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts', 'deploy/**/*.test.ts'];

// Integration tests start real redis-server processes and service processes
// on a machine of two cores. The long files (whole systems, most of them)
// run first, two at a time: three at once overloaded the machine until the
// chaos test's deadlines passed. The rest, each a Redis or a database and a
// service or two, run three at a time after them (two left a core idle a
// fifth of the time: start-up, waits on I/O), in shared processes; the few
// that need a process of their own come last. What a file leaves running (a
// client, a timer) would stay in its worker for the files after it: the
// harnesses close what each test started, after it.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    sequence: { sequencer: LongestFirst },
    projects: [
      { extends: true, test: { name: 'long', include: LONGEST_FIRST, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: { name: 'rest', include: ALL_TESTS, exclude: [...LONGEST_FIRST, ...PROCESS_OF_ITS_OWN, '**/node_modules/**'], isolate: false, maxWorkers: 3, sequence: { groupOrder: 1 } },
      },
      { extends: true, test: { name: 'own-process', include: PROCESS_OF_ITS_OWN, maxWorkers: 2, sequence: { groupOrder: 2 } } },
    ],
  },
});
