// Bootstrap shared by `npm start`, `npm test` and `npm run bench`.
// Plain Node, no dependencies: it runs before `node_modules` exists.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/**
 * `apt-get install -y <pkg>` (as root, or through sudo) where apt is there;
 * false when it cannot be tried or fails, for the caller to say what to do.
 */
function aptInstall(pkg) {
  if (!has('apt-get')) return false;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? '' : has('sudo') ? 'sudo ' : null;
  if (sudo === null) return false;
  try {
    run(`${sudo}apt-get update`);
    run(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkg}`);
    return true;
  } catch {
    return false;
  }
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
  if (aptInstall('redis-server') && has('redis-server')) return;
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

/**
 * `tributary backup`/`restore` on a PostgreSQL server run pg_dump and
 * pg_restore (Debian's postgresql-client); the tests that do need them only
 * with TEST_DATABASE_URL. Installed from the distribution where we can;
 * elsewhere we say what to install, and those tests skip with that reason.
 */
export function ensurePostgresClient() {
  if (has('pg_dump') && has('pg_restore')) return true;
  if (aptInstall('postgresql-client') && has('pg_dump') && has('pg_restore')) return true;
  console.warn(
    [
      'Backing up a PostgreSQL server needs pg_dump and pg_restore; the tests that do will be skipped.',
      '  Debian/Ubuntu: sudo apt-get install -y postgresql-client (postgresql-client-<major> from apt.postgresql.org for a newer server)',
      '  macOS:         brew install libpq',
    ].join('\n'),
  );
  return false;
}

/** Where the end-to-end tests look for Chromium: Debian's `chromium` package, or CHROMIUM_PATH. */
export function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(candidate)) return candidate;
  return null;
}

/**
 * The dashboard's end-to-end tests drive a real headless Chromium. Installed
 * from the distribution (apt) where we can; elsewhere we say what to install
 * and the e2e test skips with that message (it runs wherever Chromium is found).
 */
export function ensureChromium() {
  if (chromiumPath()) return true;
  // A failed install is reported below: the e2e test skips rather than the whole run failing.
  if (aptInstall('chromium') && chromiumPath()) return true;
  console.warn(
    [
      'The dashboard end-to-end test needs Chromium and will be skipped.',
      '  Debian/Ubuntu: sudo apt-get install -y chromium',
      '  Elsewhere:     install Chromium and set CHROMIUM_PATH=/path/to/chromium',
    ].join('\n'),
  );
  return false;
}

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/**
 * Builds the dashboard (apps/dashboard/dist, served by the gateway at `/`)
 * unless dist/index.html is newer than every source: sources, index.html,
 * vite.config.ts and package.json.
 */
export function ensureDashboard({ force = false } = {}) {
  const app = join(root, 'apps', 'dashboard');
  const built = join(app, 'dist', 'index.html');
  if (!force && existsSync(built)) {
    const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((name) => join(app, name)).filter((path) => existsSync(path));
    const newestSource = Math.max(...sources.map(newestMtime));
    if (statSync(built).mtimeMs > newestSource) return;
  }
  run('npm run build --silent -w @tributary/dashboard');
}
