// Bootstrap shared by `npm start`, `npm test` and `npm run bench`.
// Plain Node, no dependencies: it runs before `node_modules` exists.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function run(command) {
  console.log(`[tributary] ${command}`);
  execSync(command, { cwd: root, stdio: 'inherit' });
}

export function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) {
    run('npm ci --no-audit --no-fund');
  }
}

export function ensureRedis() {
  if (has('redis-server')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (has('apt-get')) {
    const sudo = isRoot ? '' : has('sudo') ? 'sudo ' : null;
    if (sudo !== null) {
      run(`${sudo}apt-get update`);
      run(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server`);
      if (has('redis-server')) return;
    }
  }
  console.error(
    [
      'Tributary needs redis-server (Redis 7.0 or newer) on the PATH.',
      '  Debian/Ubuntu: sudo apt-get install -y redis-server',
      '  Fedora/RHEL:   sudo dnf install -y redis',
      '  macOS:         brew install redis',
      '  Or point the system at servers you run: BUS_REDIS_URL=redis://... STORE_REDIS_URL=redis://...',
    ].join('\n'),
  );
  process.exit(1);
}
