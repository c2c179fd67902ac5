import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ADMIN_KEY_FILE } from './services.ts';

export { ADMIN_KEY_FILE, INTERNAL_KEY_FILE } from './services.ts';

/** 32 random bytes, base64url: 256 bits, safe in a header and a shell. */
function newKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The key in `file`, made (mode 0600, owner only) when absent. `created`
 * says whether this call made it: the only time it is shown. A file made
 * by hand with looser permissions is narrowed to the owner.
 */
export function readOrCreateKey(file: string): { key: string; created: boolean } {
  mkdirSync(dirname(file), { recursive: true });
  const key = newKey();
  try {
    // `wx`: never overwrite; two launchers on one data directory keep the first key.
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return { key, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const existing = readFileSync(file, 'utf8').trim();
  if (existing.length < 16 || /\s/.test(existing)) {
    throw new Error(`${file} does not hold a key (16 or more characters, no spaces): delete it to have a new one made`);
  }
  return { key: existing, created: false };
}

/** How the gateway is guarded: by an admin key (from ADMIN_API_KEY or the data directory), or open by explicit choice. */
export type AdminAuth =
  | { mode: 'key'; key: string; source: 'ADMIN_API_KEY' | 'file'; file: string | null; created: boolean }
  | { mode: 'open' };

/**
 * The launcher's choice for the gateway: ADMIN_API_KEY when given, open
 * mode when TRIBUTARY_AUTH=open asks for it by name, else the key in
 * `<dataDir>/admin-key`, made on first start. Secure unless told otherwise.
 */
export function adminAuth(dataDir: string, env: NodeJS.ProcessEnv): AdminAuth {
  const mode = env.TRIBUTARY_AUTH ?? '';
  if (mode !== '' && mode !== 'key' && mode !== 'open') throw new Error(`TRIBUTARY_AUTH must be "key" or "open", got "${mode}"`);
  if (mode === 'open') {
    if (env.ADMIN_API_KEY) throw new Error('TRIBUTARY_AUTH=open and ADMIN_API_KEY are both set: choose one');
    return { mode: 'open' };
  }
  if (env.ADMIN_API_KEY) return { mode: 'key', key: env.ADMIN_API_KEY, source: 'ADMIN_API_KEY', file: null, created: false };
  const file = join(dataDir, ADMIN_KEY_FILE);
  return { mode: 'key', source: 'file', file, ...readOrCreateKey(file) };
}

/** What `npm start` prints about access: the new key once, with how to use it; open mode as a warning. */
export function adminAuthBanner(auth: AdminAuth, gatewayUrl: string): string[] {
  if (auth.mode === 'open') {
    return [
      '!!! OPEN MODE (TRIBUTARY_AUTH=open): no admin key. Admin routes, operator views and every',
      "!!! customer's data are open to anyone who can reach the gateway. Unset TRIBUTARY_AUTH to close them.",
    ];
  }
  if (!auth.created) {
    return [auth.source === 'file' ? `admin key: in ${auth.file} (owner-only; delete it and restart to rotate)` : 'admin key: from ADMIN_API_KEY'];
  }
  return [
    `created the admin key, shown this once; it is kept in ${auth.file} (mode 0600):`,
    `    ${auth.key}`,
    `  curl:      curl -H "x-api-key: $(cat ${auth.file})" ${gatewayUrl}/api/system/services`,
    `  dashboard: open ${gatewayUrl}/ and sign in as operator with the key`,
    '  CLI:       `npm run tributary -- ...` and `tributary load` read it from that file (or --api-key / ADMIN_API_KEY)',
    '  rotate:    delete the file and restart',
  ];
}
