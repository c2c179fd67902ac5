import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';

const READY_MARKER = '.tributary-template-ready';

/**
 * The installed PGlite's version, which names the template: a directory made
 * by one version must not seed another's. Its package.json is not exported,
 * so it is read beside the entry point the package does export.
 */
function pgliteVersion(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (name === '@electric-sql/pglite' && version) return version;
    }
  } catch {
    // Unknown: one shared template, as before.
  }
  return 'unknown';
}

/**
 * A new PGlite directory costs an initdb (seconds, most of a fresh
 * service's start-up and of every SQL test). Every fresh cluster of one
 * PGlite version starts identical, so we initialise one template per version
 * in the temp directory and copy it (well under a second). The template is
 * built aside and renamed into place, so concurrent processes never see half
 * of one. One process builds it at a time (a lock directory): on a fresh
 * machine the five SQL services start at once, and five initdbs side by side
 * took the service host to 3.6 GB for a moment (docs/benchmarks.md, Memory).
 */
export async function seedFromTemplate(dataDir: string, templateRoot = tmpdir()): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) return;
  const template = join(templateRoot, `tributary-pglite-template-${pgliteVersion()}`);
  await ensureTemplate(template);
  mkdirSync(dataDir, { recursive: true });
  cpSync(template, dataDir, { recursive: true, filter: (source) => !source.endsWith(READY_MARKER) });
}

/** The builder touches its lock this often; one untouched for STALE_LOCK_MS was left by a builder that died. */
const LOCK_TOUCH_MS = 5_000;
const STALE_LOCK_MS = 30_000;
const LOCK_POLL_MS = 100;

/**
 * Builds the template unless it is there, or waits while another process
 * builds it. Polling a file is the only signal two unrelated processes share here.
 */
async function ensureTemplate(template: string): Promise<void> {
  const lock = `${template}.lock`;
  while (!existsSync(join(template, READY_MARKER))) {
    if (takeLock(lock)) {
      // A loaded machine may take longer than the stale age to initdb: the touch keeps the lock fresh.
      const touch = setInterval(() => {
        const now = new Date();
        try {
          utimesSync(lock, now, now);
        } catch {
          // Broken as stale after all: the worst case is a second builder, as before the lock.
        }
      }, LOCK_TOUCH_MS);
      try {
        if (!existsSync(join(template, READY_MARKER))) await buildTemplate(template);
      } finally {
        clearInterval(touch);
        rmSync(lock, { recursive: true, force: true });
      }
      return;
    }
    await sleep(LOCK_POLL_MS);
  }
}

function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const age = lockAgeMs(lock);
  if (age !== null && age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
  return false;
}

function lockAgeMs(lock: string): number | null {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return null;
  }
}

async function buildTemplate(template: string): Promise<void> {
  const building = mkdtempSync(`${template}.building-`);
  const db = await PGlite.create({ dataDir: building });
  await db.query('SELECT 1');
  await db.close();
  writeFileSync(join(building, READY_MARKER), '');
  // The marker is written before the rename, so a template without it is
  // debris of an older layout, never another process's work in progress.
  if (existsSync(template) && !existsSync(join(template, READY_MARKER))) rmSync(template, { recursive: true, force: true });
  try {
    renameSync(building, template);
  } catch {
    // Another process renamed its template first; theirs is as good as ours.
    rmSync(building, { recursive: true, force: true });
  }
}
