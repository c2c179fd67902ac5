import { describe, expect, it } from 'vitest';
import { mergeExpositions, withLabel } from '../src/metrics-merge.ts';
import { metricValue, useGateway } from './harness.ts';
import { useUpstreams } from './upstreams.ts';

const t = useGateway();
const upstreams = useUpstreams();

/** Lines of each `# TYPE` (and `# HELP`) per family name: every family must be described once. */
function described(text: string, kind: 'HELP' | 'TYPE'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const name = new RegExp(`^# ${kind} (\\S+)`).exec(line)?.[1];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

describe('mergeExpositions', () => {
  it('keeps one HELP and TYPE per family and the samples of every input under it, histograms whole', () => {
    const a = [
      '# HELP requests_total Requests',
      '# TYPE requests_total counter',
      'requests_total{service="a"} 1',
      '# HELP latency_seconds Latency',
      '# TYPE latency_seconds histogram',
      'latency_seconds_bucket{le="1",service="a"} 1',
      'latency_seconds_bucket{le="+Inf",service="a"} 1',
      'latency_seconds_sum{service="a"} 0.5',
      'latency_seconds_count{service="a"} 1',
      '',
    ].join('\n');
    const b = [
      '# HELP latency_seconds Latency',
      '# TYPE latency_seconds histogram',
      'latency_seconds_bucket{le="1",service="b"} 2',
      'latency_seconds_bucket{le="+Inf",service="b"} 2',
      'latency_seconds_sum{service="b"} 1',
      'latency_seconds_count{service="b"} 2',
      '# HELP only_b Only in b',
      '# TYPE only_b gauge',
      'only_b{service="b"} 7',
      '# HELP requests_total Requests',
      '# TYPE requests_total counter',
      'requests_total{service="b"} 2',
      '',
    ].join('\n');
    expect(mergeExpositions([a, b])).toBe(
      [
        '# HELP requests_total Requests',
        '# TYPE requests_total counter',
        'requests_total{service="a"} 1',
        'requests_total{service="b"} 2',
        '# HELP latency_seconds Latency',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{le="1",service="a"} 1',
        'latency_seconds_bucket{le="+Inf",service="a"} 1',
        'latency_seconds_sum{service="a"} 0.5',
        'latency_seconds_count{service="a"} 1',
        'latency_seconds_bucket{le="1",service="b"} 2',
        'latency_seconds_bucket{le="+Inf",service="b"} 2',
        'latency_seconds_sum{service="b"} 1',
        'latency_seconds_count{service="b"} 2',
        '# HELP only_b Only in b',
        '# TYPE only_b gauge',
        'only_b{service="b"} 7',
        '',
      ].join('\n'),
    );
  });
});

describe('withLabel', () => {
  it("adds the label to every sample, with or without labels of its own, and leaves comments alone: two instances' series stay apart", () => {
    const text = ['# HELP up_total Ups', '# TYPE up_total counter', 'up_total{service="ordering"} 3', 'plain 1.5 1700000000', 'empty{} 2', ''].join('\n');
    expect(withLabel(text, 'instance', '127.0.0.1:7001')).toBe(
      ['# HELP up_total Ups', '# TYPE up_total counter', 'up_total{instance="127.0.0.1:7001",service="ordering"} 3', 'plain{instance="127.0.0.1:7001"} 1.5 1700000000', 'empty{instance="127.0.0.1:7001"} 2', ''].join('\n'),
    );
    expect(withLabel('x 1', 'note', 'a "b"\\')).toBe('x{note="a \\"b\\"\\\\"} 1');
  });
});

describe('GET /metrics on the gateway', () => {
  it("serves its own metrics and every service's in one exposition; a service that does not answer is skipped and counted", async () => {
    const ordering = await upstreams.start('ordering');
    const catalog = await upstreams.start('catalog');
    // Some traffic, so the HTTP histogram has samples in both.
    await Promise.all([fetch(`${ordering.url}/healthz`), fetch(`${catalog.url}/healthz`)]);
    const down = await upstreams.down();
    const app = await t.start({}, { ordering: ordering.url, catalog: catalog.url, accounts: down });
    await app.inject({ method: 'GET', url: '/healthz' });

    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body;
    for (const kind of ['HELP', 'TYPE'] as const) {
      const repeated = [...described(text, kind)].filter(([, count]) => count > 1);
      expect(repeated, `families with more than one # ${kind}`).toEqual([]);
    }
    const histogram = text.split('\n').filter((line) => line.startsWith('tributary_http_request_duration_seconds_count{'));
    for (const service of ['gateway', 'ordering', 'catalog']) {
      expect(histogram.some((line) => line.includes(`service="${service}"`)), service).toBe(true);
    }
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="ordering"\} /m);
    // The stream gauges are the gateway's own.
    expect(text).toContain('# TYPE tributary_stream_length gauge');
    // Every sample comes after its family's TYPE line.
    const typeAt = text.indexOf('# TYPE tributary_http_request_duration_seconds histogram');
    expect(text.indexOf('tributary_http_request_duration_seconds_bucket{')).toBeGreaterThan(typeAt);

    expect(await metricValue(app, 'tributary_scrape_failures_total', { service: 'accounts' })).toBe(2);
    expect(await metricValue(app, 'tributary_scrape_failures_total', { service: 'ordering' })).toBe(0);
  });
});

describe('stream gauges', () => {
  it('show the streams as they are at this scrape, on the first scrape already', async () => {
    const app = await t.start();
    for (let i = 0; i < 3; i++) await t.bus.xAdd('ordering:events', '*', { type: 'Noise', n: String(i) });
    await t.bus.sendCommand(['XGROUP', 'CREATE', 'ordering:events', 'accounts', '0']);
    await t.bus.sendCommand(['XREADGROUP', 'GROUP', 'accounts', 'accounts-0', 'COUNT', '2', 'STREAMS', 'ordering:events', '>']);
    expect(await metricValue(app, 'tributary_stream_length', { stream: 'ordering:events' })).toBe(3);
    expect(await metricValue(app, 'tributary_group_pending', { stream: 'ordering:events', group: 'accounts' })).toBe(2);
    expect(await metricValue(app, 'tributary_group_lag', { stream: 'ordering:events', group: 'accounts' })).toBe(1);
    await t.bus.xAdd('ordering:events', '*', { type: 'Noise', n: '3' });
    expect(await metricValue(app, 'tributary_stream_length', { stream: 'ordering:events' })).toBe(4);
    expect(await metricValue(app, 'tributary_group_lag', { stream: 'ordering:events', group: 'accounts' })).toBe(2);
  });
});
