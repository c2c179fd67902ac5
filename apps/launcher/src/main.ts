import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { redactUrl } from 'tributary';
import { BUS_URL_FILE } from './services.ts';
import { adminAuthBanner } from './secrets.ts';
import { startSystem } from './system.ts';

/** `npm start`: the whole system on this machine, until Ctrl-C. */
const rootDir = resolve(import.meta.dirname, '..', '..', '..');
const gatewayPort = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65_535) {
  console.error(`[tributary] could not start: PORT must be a port number (1-65535), got "${process.env.PORT}"`);
  process.exit(1);
}
const say = (line: string) => console.log(`[tributary] ${line}`);
const dataDir = resolve(process.env.TRIBUTARY_DATA_DIR ?? join(rootDir, '.data'));
// How long every service has to answer /healthz; `tributary start --timeout` passes its own.
const readyTimeoutMs = Number(process.env.TRIBUTARY_READY_TIMEOUT_MS);

const system = await startSystem({
  rootDir,
  dataDir,
  gatewayPort,
  ...(process.env.BUS_REDIS_URL ? { busRedisUrl: process.env.BUS_REDIS_URL } : {}),
  ...(process.env.STORE_REDIS_URL ? { storeRedisUrl: process.env.STORE_REDIS_URL } : {}),
  ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  ...(Number.isInteger(readyTimeoutMs) && readyTimeoutMs > 0 ? { readyTimeoutMs } : {}),
  onEvent: say,
}).catch((error: Error) => {
  console.error(`[tributary] could not start: ${error.message}`);
  process.exit(1);
});

// Owner-only: a URL given in BUS_REDIS_URL may hold a password.
writeFileSync(join(dataDir, BUS_URL_FILE), `${system.busRedisUrl}\n`, { mode: 0o600 });
say(`bus ${redactUrl(system.busRedisUrl)}, store ${redactUrl(system.storeRedisUrl)}`);
say(`gateway: ${system.gatewayUrl}  (API docs: ${system.gatewayUrl}/docs, metrics: ${system.gatewayUrl}/metrics)`);
for (const line of adminAuthBanner(system.auth, system.gatewayUrl)) say(line);
say('press Ctrl-C to stop');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await system.stop();
  rmSync(join(dataDir, BUS_URL_FILE), { force: true });
  say('stopped; data kept under .data/');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
