import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
 * of one; the loser of that race just uses the winner's.
 */
export async function seedFromTemplate(dataDir: string): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) return;
  const template = join(tmpdir(), `tributary-pglite-template-${pgliteVersion()}`);
  if (!existsSync(join(template, READY_MARKER))) await buildTemplate(template);
  mkdirSync(dataDir, { recursive: true });
  cpSync(template, dataDir, { recursive: true, filter: (source) => !source.endsWith(READY_MARKER) });
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
