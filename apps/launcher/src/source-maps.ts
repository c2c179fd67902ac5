import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A bundle's linked source map (esbuild's `sourcemap: 'linked'`, bundle.mjs),
 * parsed; null when it is missing or unreadable. Read by the stack traces of
 * a running service (stack-traces.ts) and by the profile report
 * (bench/src/profiles.ts), which may read a map kept after its bundle was
 * removed: `mapFile` need not sit beside the bundle.
 */
export function readSourceMap(mapFile: string): SourceMap | null {
  try {
    return new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  } catch {
    return null;
  }
}

/**
 * Where a place in a bundle (0-based line and column) came from: the
 * source's absolute path and its 0-based line and column, or null when the
 * map has no entry there. esbuild writes sources relative to the map, so
 * they resolve against the bundle's own path, whether or not it still exists.
 */
export function originalPosition(map: SourceMap, bundleFile: string, line: number, column: number): { source: string; line: number; column: number } | null {
  const entry = map.findEntry(line, column);
  if (!entry || !('originalSource' in entry)) return null;
  const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : resolve(dirname(bundleFile), entry.originalSource);
  return { source, line: entry.originalLine, column: entry.originalColumn };
}
