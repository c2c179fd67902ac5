import type { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { originalPosition, readSourceMap } from './source-maps.ts';

/**
 * Loaded first (`--import`) in every process that runs a bundle: stack
 * traces name the TypeScript sources, as under tsx. Node's own
 * `--enable-source-maps` does the same but reads and keeps the source map of
 * every module it loads, node_modules included (some 20 MB per process,
 * docs/benchmarks.md, Memory); here only a bundle's own map is read, and only
 * when a stack trace is first formatted.
 */
const maps = new Map<string, { map: SourceMap | null; release: NodeJS.Timeout }>();
/**
 * A parsed map is dropped this long after its last use. The map of the chunk
 * that holds the dependencies (apps/launcher/src/bundle.mjs) takes some 30 MB
 * once parsed: kept forever, one outage's error logs would leave that in every
 * thread that logged one.
 */
const KEEP_UNUSED_MAP_MS = 60_000;

function sourceMapOf(file: string): SourceMap | null {
  const cached = maps.get(file);
  if (cached) {
    cached.release.refresh();
    return cached.map;
  }
  const map = readSourceMap(`${file}.map`);
  const release = setTimeout(() => maps.delete(file), KEEP_UNUSED_MAP_MS);
  release.unref();
  maps.set(file, { map, release });
  return map;
}

function formatFrame(site: NodeJS.CallSite): string {
  const location = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!location?.endsWith('.mjs') || line === null || column === null) return String(site);
  const file = location.startsWith('file:') ? fileURLToPath(location) : location;
  const map = sourceMapOf(file);
  const original = map ? originalPosition(map, file, line - 1, column - 1) : null;
  if (!original) return String(site);
  const where = `${original.source}:${original.line + 1}:${original.column + 1}`;
  const typeName = site.getTypeName();
  const functionName = site.getFunctionName();
  const method = functionName && typeName && !site.isToplevel() && !site.isConstructor() ? `${typeName}.${functionName}` : functionName;
  const name = site.isConstructor() ? `new ${functionName ?? '<anonymous>'}` : method;
  return `${site.isAsync() ? 'async ' : ''}${name ? `${name} (${where})` : where}`;
}

function header(error: Error): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

Error.prepareStackTrace = (error, sites) => [header(error), ...sites.map((site) => `    at ${formatFrame(site)}`)].join('\n');
