import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { SourceMap } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { originalPosition, readSourceMap } from '@tributary/launcher/source-maps';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) this reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  service: string;
  files: number;
  /** Sampled time in the window that was not idle, ms. */
  busyMs: number;
  /** Self time by category, ms, largest first. */
  categories: Array<{ name: string; ms: number }>;
  /** Self time by function, ms, largest first. */
  functions: Array<{ name: string; where: string; category: string; ms: number }>;
}

/**
 * Where a frame's self time belongs: V8's own pseudo-frames, then the
 * library its file is in (the groups a speed-up would target), then the
 * project's own code, Node's core, and the rest by package name.
 */
export function categoryOf(functionName: string, url: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8/native (program)';
  if (functionName === '(idle)') return 'idle';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) {
    if (/^(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-\w+|pgpass|buffer-writer|packet-reader)$/.test(pkg)) return 'SQL driver (pg)';
    if (pkg === '@electric-sql/pglite') return 'PGlite';
    if (/^(pino|pino-std-serializers|sonic-boom|thread-stream|@pinojs\/.*|fast-redact|quick-format-unescaped|on-exit-leak-free|atomic-sleep|safe-stable-stringify)$/.test(pkg)) return 'logging (pino)';
    if (pkg.startsWith('@opentelemetry/')) return 'OpenTelemetry';
    if (/^(fastify|@fastify\/.*|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring|fast-uri|toad-cache|abstract-logging|process-warning|rfdc|secure-json-parse|json-schema-ref-resolver|ajv|ajv-formats)$/.test(pkg)) return 'Fastify';
    if (/^(@redis\/.*|redis|cluster-key-slot|generic-pool)$/.test(pkg)) return 'node-redis';
    if (pkg === '@sinclair/typebox') return 'TypeBox validation';
    if (/^(tsx|esbuild|get-tsconfig|resolve-pkg-maps)$/.test(pkg)) return 'tsx (TypeScript at run time)';
    if (pkg === 'prom-client' || pkg === 'tdigest' || pkg === 'bintrees') return 'prom-client';
    return `other: ${pkg}`;
  }
  if (url.includes('/packages/kit/')) return 'kit code';
  if (url.includes('/packages/contracts/')) return 'contracts code';
  if (/\/(services|apps)\//.test(url)) return 'service code';
  if (url.startsWith('node:internal/deps/undici')) return 'fetch (undici)';
  // node-redis v6 arms an AbortSignal.timeout per command, undici one per fetch: a DOMException and an event target each.
  if (/^node:internal\/(abort_controller|per_context\/domexception|event_target)/.test(url)) return 'AbortSignal timeouts';
  if (/^node:(_http_|http|net|internal\/(stream_base_commons|streams\/|http|net))/.test(url)) return 'Node http, net, streams';
  if (/^node:(internal\/)?async_hooks/.test(url)) return 'async_hooks';
  if (url.startsWith('node:internal/crypto')) return 'crypto';
  if (url.startsWith('node:') || url.startsWith('internal/')) return 'Node core: other (events, timers, ticks)';
  // Native bindings without a script: socket writes show as these names.
  if (url === '' && /^(writev|writeBuffer|write\w*String|readStart|onStreamRead)$/.test(functionName)) return 'socket writes (native)';
  if (url === '' && /^(parse|stringify|JSON\.\w+)$/.test(functionName)) return 'JSON';
  if (url === '') return 'V8 builtins';
  return 'other';
}

type Frame = { url: string; lineNumber: number; columnNumber: number };

/**
 * The launcher runs services as bundles (apps/launcher/src/bundle.mjs), so a
 * profile's frames name a bundle or a shared chunk under
 * `node_modules/.cache/tributary-services/<build id>/`. Their linked source
 * maps give each frame's own file back (`node_modules/pg/…`,
 * `packages/kit/…`), which is what the categories are made of. The
 * launcher removes its build when it stops and keeps a profiled run's maps
 * under `<profile dir>/source-maps/<build id>/`; a running build's maps are
 * read where they are. A frame without a map keeps its bundle's name.
 */
export function bundleSources(savedMapsDir?: string): (frame: Frame) => { url: string; lineNumber: number } {
  const maps = new Map<string, SourceMap | null>();
  const mapOf = (file: string): SourceMap | null => {
    const cached = maps.get(file);
    if (cached !== undefined) return cached;
    const inBuild = /tributary-services\/([^/]+)\/(.+)$/.exec(file);
    const candidates = [`${file}.map`, ...(savedMapsDir && inBuild ? [join(savedMapsDir, inBuild[1] as string, `${inBuild[2]}.map`)] : [])];
    const found = candidates.find((candidate) => existsSync(candidate));
    const map = found ? readSourceMap(found) : null;
    maps.set(file, map);
    return map;
  };
  return ({ url, lineNumber, columnNumber }) => {
    if (!url.startsWith('file:') || !url.endsWith('.mjs')) return { url, lineNumber };
    const file = fileURLToPath(url);
    const map = mapOf(file);
    const original = map ? originalPosition(map, file, lineNumber, columnNumber) : null;
    return original ? { url: pathToFileURL(original.source).href, lineNumber: original.line } : { url, lineNumber };
  };
}

function profilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name));
}

/**
 * One service's profiles (a directory the launcher's TRIBUTARY_CPU_PROF_DIR
 * filled; several files when the process restarted), cut to the samples
 * taken between `since` and `until` (µs on the monotonic clock, the one
 * `tributary load --json` reports its window on).
 */
export function summarizeProfiles(
  service: string,
  files: readonly string[],
  window: { since?: number; until?: number } = {},
  sourceOf: (frame: Frame) => { url: string; lineNumber: number } = bundleSources(),
): ProfileSummary {
  const categories = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; category: string; ms: number }>();
  let busyUs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    // Each node's source once, not each sample's: a profile has far more samples than nodes.
    const nodes = new Map(profile.nodes.map((node) => [node.id, { functionName: node.callFrame.functionName, ...sourceOf(node.callFrame) }]));
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i += 1) {
      at += profile.timeDeltas[i] ?? 0;
      // A sample stands for the time until the next one.
      const weight = profile.timeDeltas[i + 1] ?? 0;
      if ((window.since !== undefined && at < window.since) || (window.until !== undefined && at > window.until)) continue;
      const node = nodes.get(profile.samples[i] as number);
      if (!node) continue;
      const { functionName, url, lineNumber } = node;
      const category = categoryOf(functionName, url);
      if (category === 'idle') continue;
      busyUs += weight;
      categories.set(category, (categories.get(category) ?? 0) + weight);
      const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(packages|services|apps)\//, '$1/')}:${lineNumber + 1}` : '';
      const key = `${functionName}@${where}`;
      const entry = functions.get(key) ?? { name: functionName || '(anonymous)', where, category, ms: 0 };
      entry.ms += weight;
      functions.set(key, entry);
    }
  }
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    service,
    files: files.length,
    busyMs: ms(busyUs),
    categories: [...categories].map(([name, us]) => ({ name, ms: ms(us) })).sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()].map((entry) => ({ ...entry, ms: ms(entry.ms) })).sort((a, b) => b.ms - a.ms),
  };
}

/** Every service directory under `root` (the launcher writes `<root>/<service>/*.cpuprofile`). */
export function summarizeProfileDir(root: string, window: { since?: number; until?: number } = {}): ProfileSummary[] {
  const sourceOf = bundleSources(join(root, 'source-maps'));
  return readdirSync(root)
    .filter((name) => statSync(join(root, name)).isDirectory())
    .map((service) => summarizeProfiles(basename(service), profilesUnder(join(root, service)), window, sourceOf))
    .filter((summary) => summary.files > 0)
    .sort((a, b) => b.busyMs - a.busyMs);
}
