import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUS_URL_FILE, STORE_URL_FILE } from './services.ts';
import type { RunningSystem } from './system.ts';

/**
 * While the system runs, the bus and store Redis URLs (with the launcher's
 * own user on private servers) under the data directory, for the `tributary`
 * CLI. Owner-only: a URL may hold a password.
 */
export function writeUrlFiles(dataDir: string, system: Pick<RunningSystem, 'busRedisUrl' | 'storeRedisUrl'>): void {
  writeFileSync(join(dataDir, BUS_URL_FILE), `${system.busRedisUrl}\n`, { mode: 0o600 });
  writeFileSync(join(dataDir, STORE_URL_FILE), `${system.storeRedisUrl}\n`, { mode: 0o600 });
}

export function removeUrlFiles(dataDir: string): void {
  for (const file of [BUS_URL_FILE, STORE_URL_FILE]) rmSync(join(dataDir, file), { force: true });
}
