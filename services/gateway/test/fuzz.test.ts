import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { casesFor, type Operation } from '../../../test/support/openapi-fuzz.ts';
import { useGateway } from './harness.ts';

const t = useGateway();

const document = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'docs', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};

/** Server-sent event streams never end (test/fuzz.test.ts excludes them too). */
const STREAMING = new Set(['GET /api/deliveries/live', 'GET /api/events/live']);

/**
 * The malformed requests of the system's fuzz suite (test/fuzz.test.ts),
 * against the gateway alone, in seconds: every one is answered by the
 * gateway itself with a shaped 4xx, and no change reaches a service unless
 * its only flaw is an id that is well-formed and unknown (the owning
 * service decides those: 404). The stub services answer 404 to anything.
 */
describe('malformed requests against the gateway alone', () => {
  it('are 4xx {error, message}, never 5xx, and only well-formed unknown ids reach a service with a change', async () => {
    const app = await t.start();
    const known = { id: 'u-1', userId: 'u-1', productId: 'p-1', member: 'u-1' };
    const failures: string[] = [];
    let count = 0;
    for (const [template, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (STREAMING.has(`${method.toUpperCase()} ${template}`)) continue;
        for (const fuzz of casesFor(method, template, operation, known)) {
          count++;
          const before = t.calls.length;
          const reply = await app.inject({ method: fuzz.method as 'GET', url: fuzz.path, headers: fuzz.headers, ...(fuzz.body === undefined ? {} : { payload: fuzz.body }) });
          const label = `${fuzz.operation} [${fuzz.variant}] → ${reply.statusCode}`;
          let body: { error?: unknown; message?: unknown } | null = null;
          try {
            body = reply.json();
          } catch {
            // Not JSON: reported below.
          }
          if (reply.statusCode >= 500) failures.push(`${label}: ${reply.body.slice(0, 200)}`);
          else if (reply.statusCode >= 400 && (typeof body?.error !== 'string' || typeof body.message !== 'string')) failures.push(`${label}: not {error, message}`);
          const changes = t.calls.slice(before).filter((call) => call.method !== 'GET');
          const wellFormedUnknownId = /^path \w+: (not-a-uuid|unknown uuid)$/.test(fuzz.variant);
          if (changes.length > 0 && !wellFormedUnknownId) failures.push(`${label}: reached ${changes.map((call) => `${call.service} ${call.method} ${call.path}`).join(', ')}`);
        }
      }
    }
    expect(count).toBeGreaterThanOrEqual(300);
    expect(failures).toEqual([]);
  }, 120_000);
});
