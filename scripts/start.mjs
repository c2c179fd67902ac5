// `npm start`: install what is missing, then run the launcher.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureDependencies, ensureRedis, root } from './ensure.mjs';

ensureDependencies();
ensureRedis();
const launcher = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps', 'launcher', 'src', 'main.ts')], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the launcher through the terminal's process group; forward TERM ourselves.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => launcher.kill('SIGTERM'));
launcher.on('exit', (code) => process.exit(code ?? 0));
