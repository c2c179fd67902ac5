// Plain JavaScript (with cached-bundle.d.mts beside it): the `tributary` bin
// runs it before anything can run TypeScript.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';

const MANIFEST = 'manifest.json';
/**
 * `latest-<key hash>` names the directory of the newest good bundle of those
 * entries on this Node; replaced by a rename, so a reader sees the old name or the new.
 */
const LATEST = 'latest-';
/** A bundle no longer named by LATEST is removed this long after it was made (a process may still be starting from it). */
const KEEP_STALE_MS = 10 * 60_000;

// Changing how bundles are made makes the cached ones stale too.
const builders = ['bundle.mjs', 'cached-bundle.mjs'].map((name) => fileURLToPath(new URL(name, import.meta.url)));

function stamp(path) {
  const stat = statSync(path);
  return [path, stat.mtimeMs, stat.size];
}

/** True when every source the bundle was made from is unchanged (same modification time and size) and nothing else differs. */
function fresh(dir, key) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
  } catch {
    return false;
  }
  if (manifest.key !== key) return false;
  try {
    return manifest.inputs.every(([path, mtimeMs, size]) => {
      const stat = statSync(path);
      return stat.mtimeMs === mtimeMs && stat.size === size;
    });
  } catch {
    return false;
  }
}

/** Removes older bundles of the same entries (and unfinished builds), never another entry's current one. */
function pruneStale(cacheDir, keep, key) {
  for (const name of readdirSync(cacheDir)) {
    const dir = join(cacheDir, name);
    if (name.startsWith(LATEST) || dir === keep) continue;
    try {
      if (Date.now() - statSync(dir).mtimeMs <= KEEP_STALE_MS) continue;
      let sameEntries = true;
      try {
        sameEntries = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')).key === key;
      } catch {
        // No manifest: a build that failed or was never cached.
      }
      if (sameEntries) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another process removed it first.
    }
  }
}

/**
 * The bundles of `entries` (see bundle.mjs) in a directory under `cacheDir`,
 * made again only when one of their sources changed: a process that runs
 * TypeScript through a bundle then starts in a fraction of what tsx's loader
 * costs it, without a build step to forget. Safe for processes that start at
 * once: each builds aside, and the last to finish names its bundle as the
 * newest.
 */
export async function cachedBundle(entries, cacheDir, options = {}) {
  const key = JSON.stringify({ node: process.version, entries, dependencies: options.dependencies ?? 'external' });
  const pointerFile = join(cacheDir, `${LATEST}${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
  mkdirSync(cacheDir, { recursive: true });
  let latest = null;
  try {
    latest = join(cacheDir, readFileSync(pointerFile, 'utf8').trim());
  } catch {
    // Nothing built yet.
  }
  if (latest && fresh(latest, key)) return latest;

  const started = Date.now();
  const dir = mkdtempSync(join(cacheDir, 'bundle-'));
  const { bundle } = await import('./bundle.mjs');
  const inputs = [...(await bundle(entries, dir, options)), ...builders].map(stamp);
  // A source saved while esbuild read it may be in the bundle half old: used this once, never cached.
  if (inputs.every(([, mtimeMs]) => mtimeMs < started)) {
    writeFileSync(join(dir, MANIFEST), JSON.stringify({ key, inputs }));
    const pointer = join(dir, 'latest.next');
    writeFileSync(pointer, basename(dir));
    renameSync(pointer, pointerFile);
  }
  pruneStale(cacheDir, dir, key);
  return dir;
}

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Node's arguments that run one TypeScript entry (a service's main.ts, a
 * test's fixture) from a cached bundle, stack traces naming the sources:
 * what tests spawn instead of `--import tsx <entry>`, whose loader costs
 * each process seconds of CPU.
 */
export async function bundledEntryArgs(entry) {
  const dir = await cachedBundle(
    { entry, 'stack-traces': join(repositoryRoot, 'apps', 'launcher', 'src', 'stack-traces.ts') },
    join(repositoryRoot, 'node_modules', '.cache', 'tributary-entries'),
    // As the launcher runs a service: its dependencies in the bundle.
    { dependencies: 'bundle' },
  );
  return ['--import', pathToFileURL(join(dir, 'stack-traces.mjs')).href, join(dir, 'entry.mjs')];
}
