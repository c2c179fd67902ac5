import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminAuth, adminAuthBanner, readOrCreateKey } from '../src/secrets.ts';

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-secrets-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the admin key of the launcher', () => {
  it('is made on first start in <dataDir>/admin-key, owner-only, 32 random bytes, shown once, and reused after', () => {
    const dataDir = fresh();
    const first = adminAuth(dataDir, {});
    expect(first).toMatchObject({ mode: 'key', source: 'file', created: true, file: join(dataDir, 'admin-key') });
    if (first.mode !== 'key') throw new Error('unreachable');
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dataDir, 'admin-key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, 'admin-key'), 'utf8').trim()).toBe(first.key);
    expect(adminAuthBanner(first, 'http://127.0.0.1:8080').join('\n')).toContain(first.key);

    const again = adminAuth(dataDir, {});
    expect(again).toMatchObject({ mode: 'key', key: first.key, created: false });
    // After the first start the key is never printed again.
    expect(adminAuthBanner(again, 'http://127.0.0.1:8080').join('\n')).not.toContain(first.key);
    expect(adminAuth(fresh(), {})).not.toMatchObject({ key: first.key });
  });

  it('narrows a key file made by hand with looser permissions, and refuses one that holds no key', () => {
    const dataDir = fresh();
    writeFileSync(join(dataDir, 'admin-key'), 'a-hand-made-key-of-enough-length\n', { mode: 0o644 });
    expect(adminAuth(dataDir, {})).toMatchObject({ key: 'a-hand-made-key-of-enough-length', created: false });
    expect(statSync(join(dataDir, 'admin-key')).mode & 0o777).toBe(0o600);
    writeFileSync(join(dataDir, 'short'), 'x\n');
    expect(() => readOrCreateKey(join(dataDir, 'short'))).toThrow(/does not hold a key/);
  });

  it('ADMIN_API_KEY wins over the file, and open mode is only what TRIBUTARY_AUTH=open asks for', () => {
    const dataDir = fresh();
    expect(adminAuth(dataDir, { ADMIN_API_KEY: 'given-key' })).toMatchObject({ mode: 'key', key: 'given-key', source: 'ADMIN_API_KEY' });
    const open = adminAuth(dataDir, { TRIBUTARY_AUTH: 'open' });
    expect(open).toEqual({ mode: 'open' });
    expect(adminAuthBanner(open, 'http://127.0.0.1:8080').join('\n')).toMatch(/OPEN MODE/);
    // Neither made a file: no key was needed.
    expect(() => statSync(join(dataDir, 'admin-key'))).toThrow();
    expect(() => adminAuth(dataDir, { TRIBUTARY_AUTH: 'open', ADMIN_API_KEY: 'k' })).toThrow(/choose one/);
    expect(() => adminAuth(dataDir, { TRIBUTARY_AUTH: 'none' })).toThrow(/TRIBUTARY_AUTH/);
    // Anything else (unset, empty, "key") is the secure default.
    expect(adminAuth(dataDir, { TRIBUTARY_AUTH: '' })).toMatchObject({ mode: 'key', created: true });
  });
});
