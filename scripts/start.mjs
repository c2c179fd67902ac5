// `npm start`: install what is missing, then run the launcher.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureDashboard, ensureDependencies, ensureRedis, root } from './ensure.mjs';

ensureDependencies();
ensureRedis();
// The gateway serves the dashboard at `/`: build it when a source is newer than the build.
ensureDashboard();
const launcher = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps', 'launcher', 'src', 'main.ts')], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the launcher through the terminal's process group; forward TERM ourselves.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => launcher.kill('SIGTERM'));
launcher.on('exit', (code) => process.exit(code ?? 0));
