// `npm run bench -- <name>`: install what is missing, then run the benchmark.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDependencies, ensureRedis, root } from './ensure.mjs';

ensureDependencies();
ensureRedis();
const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'src', 'main.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
