import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';

/**
 * Merging Prometheus text expositions (format 0.0.4), our own code rather
 * than a library: the format is line based (`# HELP`, `# TYPE`, then sample
 * lines), and merging only needs to group lines by family. The parsers on
 * npm turn the text into objects we would only print back, and none of them
 * merges; prom-client's `Registry.merge` works on live registries, not on
 * other processes' text.
 */
interface Family {
  help: string | null;
  type: string | null;
  samples: string[];
}

/** Suffixes a histogram or summary (or a counter's `_total`) adds to its family's name. */
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_info'];

function sampleName(line: string): string {
  const end = line.search(/[{\s]/);
  return end === -1 ? line : line.slice(0, end);
}

function belongsTo(name: string, family: string | null): boolean {
  if (family === null) return false;
  return name === family || SUFFIXES.some((suffix) => name === `${family}${suffix}`);
}

/**
 * One exposition from many: each metric family appears once (its first
 * `# HELP` and `# TYPE`), followed by the samples of every input, in input
 * order. Samples are not deduplicated: each service's carry its own
 * `service` label, so they are distinct series.
 */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let found = families.get(name);
    if (!found) {
      found = { help: null, type: null, samples: [] };
      families.set(name, found);
    }
    return found;
  };
  for (const text of texts) {
    let current: string | null = null;
    for (const raw of text.split('\n')) {
      const line = raw.trimEnd();
      if (line === '') continue;
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (meta) {
        const [, kind, name] = meta as unknown as [string, 'HELP' | 'TYPE', string];
        current = name;
        const target = family(name);
        // The first service to describe a family wins; the same code makes them all, so they agree.
        if (kind === 'HELP') target.help ??= line;
        else target.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = sampleName(line);
      family(belongsTo(name, current) ? (current as string) : name).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const { help, type, samples } of families.values()) {
    if (help) out.push(help);
    if (type) out.push(type);
    out.push(...samples);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Adds `label="value"` to every sample of an exposition. Two instances of a
 * service (`npm start --scale`) expose the same series under the same
 * `service` label; merged as they are, a scrape would hold each series twice.
 */
export function withLabel(text: string, label: string, value: string): string {
  const pair = `${label}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  return text
    .split('\n')
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const name = sampleName(line);
      const rest = line.slice(name.length);
      if (rest.startsWith('{}')) return `${name}{${pair}}${rest.slice(2)}`;
      return rest.startsWith('{') ? `${name}{${pair},${rest.slice(1)}` : `${name}{${pair}}${rest}`;
    })
    .join('\n');
}

/** Fetches a service's /metrics; null when it does not answer (down, slow, not 200). */
async function scrape(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    return await response.text();
  } catch {
    return null;
  }
}

/**
 * Makes the gateway's GET /metrics one scrape for the whole system: its own
 * metrics, then every service's. The kit's createHttpApp owns the /metrics
 * route (a path cannot be registered twice), so this answers it from an
 * onRequest hook before that handler runs; a kit option for extra metric
 * sources would be the cleaner home.
 */
export function serveMergedMetrics(
  app: FastifyInstance,
  registry: Registry,
  services: () => ReadonlyArray<{ name: string; url: string }>,
  timeoutMs = 2_000,
): void {
  const failures = new Counter({
    name: 'tributary_scrape_failures_total',
    help: 'Scrapes of a service /metrics (through the gateway) that got no answer; that service is missing from the scrape',
    // The service that did not answer; prom-client lets a sample's own label win over the registry's default `service="gateway"`.
    labelNames: ['service'],
    registers: [registry],
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.routeOptions.url !== '/metrics') return;
    const targets = services();
    const instances = new Map<string, number>();
    for (const target of targets) instances.set(target.name, (instances.get(target.name) ?? 0) + 1);
    // A service with several instances: each one's series carry `instance` (its host:port, as Prometheus names a target).
    const texts = await Promise.all(
      targets.map(async (target) => {
        const text = await scrape(target.url, timeoutMs);
        return text !== null && (instances.get(target.name) ?? 0) > 1 ? withLabel(text, 'instance', new URL(target.url).host) : text;
      }),
    );
    targets.forEach((target, index) => {
      if (texts[index] === null) failures.inc({ service: target.name });
    });
    // Our own last, after the failures above were counted, so this scrape shows them.
    const own = await registry.metrics();
    await reply.type(registry.contentType).send(mergeExpositions([own, ...texts.filter((text): text is string => text !== null)]));
    return reply;
  });
}
