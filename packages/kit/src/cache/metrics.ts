import { Counter, Histogram, type Registry } from 'prom-client';

export interface CacheStats {
  /** Fresh entries served, from Redis or the in-process layer (negative ones included). */
  hits: number;
  l1Hits: number;
  /** Hits on a cached "not found". */
  negativeHits: number;
  /** Requests that found no fresh entry in Redis (absent, stale or corrupt). */
  misses: number;
  staleServed: number;
  /** Loader runs, whatever their outcome. */
  loads: number;
  loadErrors: number;
  corrupt: number;
  /** Times a request waited for another instance's loader. */
  waits: number;
  /** Loads done without the cache: Redis unavailable, or the wait deadline passed. */
  bypassed: number;
}

export type BypassReason = 'redis_unavailable' | 'wait_timeout';

export interface CacheMeter {
  hit(layer: 'redis' | 'l1', negative: boolean): void;
  miss(): void;
  stale(): void;
  load(outcome: 'found' | 'not_found' | 'error', seconds: number): void;
  corrupt(): void;
  wait(): void;
  bypass(reason: BypassReason): void;
  stats(): CacheStats;
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  return (
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help, labelNames: ['cache', ...labelNames], registers: [registry] })
  );
}

/**
 * Plain counters always (for tests and benchmarks), Prometheus metrics when a
 * registry is given; every metric carries a `cache` label so several caches
 * share one registry.
 */
export function cacheMeter(cache: string, registry?: Registry): CacheMeter {
  const stats: CacheStats = { hits: 0, l1Hits: 0, negativeHits: 0, misses: 0, staleServed: 0, loads: 0, loadErrors: 0, corrupt: 0, waits: 0, bypassed: 0 };
  const prom = registry
    ? {
        hits: counter(registry, 'tributary_cache_hits_total', 'Fresh cache entries served, by layer', ['layer']),
        negativeHits: counter(registry, 'tributary_cache_negative_hits_total', 'Cached "not found" answers served', []),
        misses: counter(registry, 'tributary_cache_misses_total', 'Reads that found no fresh entry', []),
        stale: counter(registry, 'tributary_cache_stale_served_total', 'Stale copies served while another instance reloads', []),
        loads: counter(registry, 'tributary_cache_loads_total', 'Loader runs by outcome', ['outcome']),
        corrupt: counter(registry, 'tributary_cache_corrupt_entries_total', 'Entries that failed to decode and were treated as misses', []),
        bypassed: counter(registry, 'tributary_cache_bypassed_total', 'Loads that bypassed the cache, by reason', ['reason']),
        duration:
          (registry.getSingleMetric('tributary_cache_load_duration_seconds') as Histogram<string> | undefined) ??
          new Histogram({
            name: 'tributary_cache_load_duration_seconds',
            help: 'Loader duration',
            labelNames: ['cache'],
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
            registers: [registry],
          }),
      }
    : null;
  const labels = { cache };
  return {
    hit(layer, negative) {
      stats.hits++;
      if (layer === 'l1') stats.l1Hits++;
      prom?.hits.inc({ cache, layer });
      if (negative) {
        stats.negativeHits++;
        prom?.negativeHits.inc(labels);
      }
    },
    miss() {
      stats.misses++;
      prom?.misses.inc(labels);
    },
    stale() {
      stats.staleServed++;
      prom?.stale.inc(labels);
    },
    load(outcome, seconds) {
      stats.loads++;
      if (outcome === 'error') stats.loadErrors++;
      prom?.loads.inc({ cache, outcome });
      prom?.duration.observe(labels, seconds);
    },
    corrupt() {
      stats.corrupt++;
      prom?.corrupt.inc(labels);
    },
    wait() {
      stats.waits++;
    },
    bypass(reason) {
      stats.bypassed++;
      prom?.bypassed.inc({ cache, reason });
    },
    stats: () => ({ ...stats }),
  };
}
