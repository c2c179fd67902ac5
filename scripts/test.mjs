// `npm test`: install what is missing, type-check, run every test, and end
// with one plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium, ensureDashboard, ensureDependencies, ensurePostgresClient, ensureRedis, root } from './ensure.mjs';

ensureDependencies();
ensureRedis();
// The dashboard e2e test drives Chromium against the gateway, which serves the built app.
ensureChromium();
ensureDashboard({ force: true });
// The backup tests on a PostgreSQL server run pg_dump and pg_restore.
if (process.env.TEST_DATABASE_URL) ensurePostgresClient();

const bin = (name) => join(root, 'node_modules', '.bin', name);
// The root project checks everything; the dashboard's own adds its browser libs and vite.config.ts.
for (const project of ['tsconfig.json', join('apps', 'dashboard', 'tsconfig.json')]) {
  const typecheck = spawnSync(bin('tsc'), ['-p', project, '--noEmit'], { cwd: root, stdio: 'inherit' });
  if (typecheck.status !== 0) {
    console.error(`typecheck failed (${project})`);
    process.exit(typecheck.status ?? 1);
  }
}

mkdirSync(join(root, 'test-output'), { recursive: true });
const report = join(root, 'test-output', 'vitest.json');
const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const tests = spawnSync(bin('vitest'), args, { cwd: root, stdio: 'inherit' });

try {
  const summary = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = summary.numPendingTests + summary.numTodoTests;
  console.log(`tests: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
} catch {
  console.log('tests: 0 passed, 1 failed');
}
process.exit(tests.status ?? 1);
