import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isProcessAlive } from 'tributary';

/**
 * PGlite is an embedded database: two processes opening one data directory
 * corrupt it. The service leaves `<pglite dir>.owner.json` ({pid, address})
 * while it holds its directory, so the archive CLI can ask the running
 * service over HTTP instead of opening the directory itself.
 */
export interface Owner {
  pid: number;
  /** Null while the service is starting (database open, not yet listening). */
  address: string | null;
}

export function ownerFilePath(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith('pglite://')) return null;
  return `${resolve(databaseUrl.slice('pglite://'.length))}.owner.json`;
}

export function writeOwner(path: string, owner: Owner): void {
  writeFileSync(path, JSON.stringify(owner));
}

export function removeOwner(path: string): void {
  rmSync(path, { force: true });
}

/** The live owner, or null when there is none (no file, or its process is gone). */
export function readOwner(path: string): Owner | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { pid, address } = parsed as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  if (address !== null && typeof address !== 'string') return null;
  return isProcessAlive(pid) ? { pid, address } : null;
}
