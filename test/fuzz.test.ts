import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, groupsOf, type RedisClient } from 'tributary';
import { waitFor } from 'tributary/testing';
import { startTestSystem, type TestSystem } from './support/system.ts';

/**
 * Malformed requests for every operation of the gateway's OpenAPI document
 * (docs/openapi.json), against the whole system: whatever arrives, the answer
 * is never a 5xx, a 4xx carries `{error, message}`, and nothing is written.
 * The cases are enumerated, not random, so a failure names a request that
 * fails again on the next run.
 */

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  nullable?: boolean;
}
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}
interface FuzzCase {
  operation: string;
  variant: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Server-sent event streams never end: a request to one would hold the test until its timeout. */
const EXCLUDED: Record<string, string> = {
  'GET /api/deliveries/live': 'server-sent events (drone positions); the stream stays open',
  'GET /api/events/live': 'server-sent events (live bus events); the stream stays open',
};

/**
 * Changes that a well-formed part of a malformed request may make and that
 * change nothing: signing out without a session, removing from a basket a
 * product that is not in it. The store snapshot still checks them.
 */
const ACCEPTED_NO_OPS: Record<string, (fuzz: FuzzCase) => boolean> = {
  'DELETE /api/session': () => true,
  'DELETE /api/admin/session': () => true,
  'DELETE /api/baskets/{userId}/items/{productId}': (fuzz) => fuzz.variant.startsWith('path productId'),
};

/** Streams that change with no request: the drone simulator reports positions all the time. */
const BACKGROUND_STREAMS = new Set(['drone-sim:events']);
/**
 * Store keys that change with no write: the catalog's read-through cache
 * (a GET of an unknown id caches "not found"), the gateway's own keys
 * (sessions, rate limits, idempotency records), and the drone fleet, which
 * the simulator moves.
 */
const NOT_WRITES = [/^catalog:cache:/, /^gateway:/, /^delivery:\{fleet\}:/];

const document = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'docs', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
/** Raw path segments (already URL-encoded where needed): ids that do not exist or cannot. */
const BAD_PATH_IDS: Array<[string, string]> = [
  ['not-a-uuid', 'not-a-uuid'],
  ['unknown uuid', UNKNOWN_UUID],
  ['dot-dot slash', '..%2f..%2fadmin'],
  ['unicode', '%E2%98%83%F0%9F%9A%80'],
  ['NUL', 'a%00b'],
  ['control character', 'a%01b'],
  ['space', '%20'],
  ['very long', 'x'.repeat(300)],
];
const BAD_QUERY_VALUES: Array<[string, string]> = [
  ['not a number', 'abc'],
  ['negative', '-1'],
  ['fraction', '1.5'],
  ['huge', '99999999999999999999999999'],
  ['overflow', '1e400'],
  ['NUL', 'a%00b'],
  ['control character', 'a%1Bb'],
  ['very long', 'x'.repeat(5_000)],
];
const CONTROL_STRINGS: Array<[string, string]> = [
  ['NUL', 'fuzz\u0000fuzz'],
  ['SOH', 'fuzz\u0001'],
  ['ESC sequence', 'fuzz\u001b[31mred'],
  ['DEL', 'fuzz\u007f'],
];

const types = (schema: JsonSchema): string[] => [
  ...(Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []),
  ...(schema.nullable ? ['null'] : []),
];

/** Candidates for a string with a pattern: the first one the pattern accepts is used. */
const PATTERN_SAMPLES = ['fuzz', 'GB', 'fuzz@example.com', '0'.repeat(32), '0-0', '2026-01-01T00:00:00.000Z', 'orders:events', 'a1'];

/** A value the schema accepts, as near as a small sampler gets; known ids stand in for fields named like them. */
function sample(schema: JsonSchema, name: string, known: Record<string, string>): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return sample(union.find((option) => !types(option).includes('null')) ?? union[0]!, name, known);
  const type = types(schema).find((candidate) => candidate !== 'null') ?? 'object';
  switch (type) {
    case 'string': {
      if (known[name]) return known[name];
      const candidates = schema.pattern ? PATTERN_SAMPLES.filter((value) => new RegExp(schema.pattern as string, 'u').test(value)) : ['fuzz'];
      const value = candidates[0] ?? 'fuzz';
      return value.padEnd(schema.minLength ?? 0, 'z');
    }
    case 'integer':
    case 'number':
      return Math.min(Math.max(schema.minimum ?? 1, 1), schema.maximum ?? Number.MAX_SAFE_INTEGER);
    case 'boolean':
      return false;
    case 'array':
      return (schema.minItems ?? 0) > 0 && schema.items ? [sample(schema.items, name.replace(/s$/, ''), known)] : [];
    default: {
      const object: Record<string, unknown> = {};
      for (const property of schema.required ?? []) object[property] = sample(schema.properties?.[property] ?? {}, property, known);
      return object;
    }
  }
}

/** Values of another type than the property's. */
function wrongTypes(schema: JsonSchema): Array<[string, unknown]> {
  const allowed = new Set([...types(schema), ...(schema.anyOf ?? schema.oneOf ?? []).flatMap(types)]);
  const candidates: Array<[string, string, unknown]> = [
    ['string', 'a string', 'fuzz'],
    ['integer', 'a number', 42],
    ['boolean', 'a boolean', true],
    ['null', 'null', null],
    ['array', 'an array', ['fuzz']],
    ['object', 'an object', { fuzz: 1 }],
  ];
  return candidates
    .filter(([type]) => !allowed.has(type) && !(type === 'integer' && allowed.has('number')))
    .map(([, label, value]) => [label, value]);
}

/** Values of the property's own type that are out of bounds or hostile. */
function badValues(schema: JsonSchema): Array<[string, unknown]> {
  const kinds = new Set([...types(schema), ...(schema.anyOf ?? schema.oneOf ?? []).flatMap(types)]);
  const values: Array<[string, unknown]> = [];
  if (kinds.has('string')) {
    values.push(...CONTROL_STRINGS, ['very long', 'x'.repeat(100_000)]);
    if ((schema.minLength ?? 0) > 0) values.push(['empty', '']);
  }
  if (kinds.has('integer') || kinds.has('number')) {
    values.push(['huge', 1e308], ['beyond 2^64', 2 ** 64 + 1], ['negative', -1], ['most negative', -Number.MAX_VALUE]);
    if (kinds.has('integer')) values.push(['fraction', 1.5]);
  }
  return values;
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => params[name] ?? 'fuzz');
}

/** Every malformed request of one operation. */
function casesFor(method: string, template: string, operation: Operation, known: Record<string, string>): FuzzCase[] {
  const name = `${method.toUpperCase()} ${template}`;
  const parameters = operation.parameters ?? [];
  const pathParams = parameters.filter((parameter) => parameter.in === 'path');
  const queryParams = parameters.filter((parameter) => parameter.in === 'query');
  const goodParams = Object.fromEntries(pathParams.map((parameter) => [parameter.name, String(sample(parameter.schema, parameter.name, known))]));
  const jsonSchema = operation.requestBody?.content['application/json']?.schema;
  const goodBody = jsonSchema ? sample(jsonSchema, 'body', known) : undefined;
  const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const base = { operation: name, method: method.toUpperCase(), path: fill(template, goodParams), headers: {}, ...(goodBody === undefined ? {} : json(goodBody)) };
  const cases: FuzzCase[] = [];

  for (const parameter of pathParams) {
    for (const [label, raw] of BAD_PATH_IDS) {
      cases.push({ ...base, variant: `path ${parameter.name}: ${label}`, path: fill(template, { ...goodParams, [parameter.name]: raw }) });
    }
  }
  for (const parameter of queryParams) {
    for (const [label, raw] of BAD_QUERY_VALUES) {
      cases.push({ ...base, variant: `query ${parameter.name}: ${label}`, path: `${base.path}?${parameter.name}=${raw}` });
    }
    cases.push({ ...base, variant: `query ${parameter.name}: repeated`, path: `${base.path}?${parameter.name}=1&${parameter.name}=2` });
  }
  if (parameters.some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key')) {
    cases.push({ ...base, variant: 'idempotency-key: too long', headers: { ...base.headers, 'idempotency-key': 'k'.repeat(500) } });
  }

  if (jsonSchema && goodBody !== null && typeof goodBody === 'object' && !Array.isArray(goodBody)) {
    const body = goodBody as Record<string, unknown>;
    for (const [property, schema] of Object.entries(jsonSchema.properties ?? {})) {
      const withValue = (value: unknown) => json({ ...body, [property]: value });
      for (const [label, value] of [...wrongTypes(schema), ...badValues(schema)]) {
        cases.push({ ...base, variant: `body ${property}: ${label}`, ...withValue(value) });
      }
      if (jsonSchema.required?.includes(property)) {
        const { [property]: _omitted, ...rest } = body;
        cases.push({ ...base, variant: `body ${property}: missing`, ...json(rest) });
      }
    }
    if (jsonSchema.additionalProperties === false) {
      cases.push({ ...base, variant: 'body: extra field', ...json({ ...body, fuzzExtra: 'fuzz' }) });
      cases.push({ ...base, variant: 'body: __proto__ field', headers: { 'content-type': 'application/json' }, body: `{"__proto__":{"admin":true},${JSON.stringify(body).slice(1)}` });
    }
  }
  // The whole body: not JSON, or not declared JSON at all. A route without a body takes none but JSON either.
  const text = goodBody === undefined ? '{}' : JSON.stringify(goodBody);
  cases.push(
    { ...base, variant: 'body: invalid JSON', headers: { 'content-type': 'application/json' }, body: '{"fuzz": ' },
    { ...base, variant: 'content-type: text/plain', headers: { 'content-type': 'text/plain' }, body: text },
    { ...base, variant: 'content-type: form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'fuzz=1&name=fuzz' },
    { ...base, variant: 'content-type: unknown', headers: { 'content-type': 'application/x-fuzz' }, body: text },
  );
  if (jsonSchema) {
    cases.push(
      { ...base, variant: 'body: JSON with a NUL escape in a key', headers: { 'content-type': 'application/json' }, body: '{"fu\\u0000zz": 1}' },
      { ...base, variant: 'body: an array', ...json([goodBody ?? {}]) },
      { ...base, variant: 'body: a string', ...json('fuzz') },
      { ...base, variant: 'body: null', ...json(null) },
      { ...base, variant: 'body: deep nesting', headers: { 'content-type': 'application/json' }, body: `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}` },
      { ...base, variant: 'body: empty with JSON content type', headers: { 'content-type': 'application/json' }, body: '' },
      { ...base, variant: 'body: none', headers: {} },
    );
  }
  // GET and DELETE have no body here: fetch refuses one on GET, and a body there is meaningless anyway.
  if (base.method === 'GET') return cases.filter((fuzz) => !fuzz.variant.startsWith('body') && !fuzz.variant.startsWith('content-type'));
  return cases;
}

/** The admin key, when the system has one (the launcher may create one in its data directory). */
function adminKey(t: TestSystem): string | null {
  const fromSystem = (t.system as unknown as { adminKey?: unknown }).adminKey;
  if (typeof fromSystem === 'string' && fromSystem) return fromSystem;
  const dataDir = (t.system as unknown as { dataDir?: unknown }).dataDir ?? (t as unknown as { dataDir?: unknown }).dataDir;
  if (typeof dataDir === 'string') {
    try {
      return readFileSync(resolve(dataDir, 'admin-key'), 'utf8').trim() || null;
    } catch {
      // No key file: the system runs without an admin key.
    }
  }
  return process.env.ADMIN_API_KEY || null;
}

/**
 * What the system holds: every business stream's length on the bus, and a
 * digest of every key in the store Redis that is not the gateway's own
 * (sessions, rate limits and idempotency records change with every request).
 */
async function snapshot(bus: RedisClient, store: RedisClient): Promise<Record<string, string | number>> {
  const state: Record<string, string | number> = {};
  for await (const keys of bus.scanIterator({ TYPE: 'stream', COUNT: 1_000 })) {
    for (const key of [keys].flat()) if (!BACKGROUND_STREAMS.has(key)) state[`bus ${key}`] = await bus.xLen(key);
  }
  for await (const keys of store.scanIterator({ COUNT: 1_000 })) {
    for (const key of [keys].flat()) {
      if (NOT_WRITES.some((pattern) => pattern.test(key))) continue;
      const type = await store.type(key);
      const content =
        type === 'string' ? await store.get(key)
        : type === 'hash' ? await store.hGetAll(key)
        : type === 'zset' ? await store.zRangeWithScores(key, 0, -1)
        : type === 'set' ? (await store.sMembers(key)).sort()
        : type === 'list' ? await store.lRange(key, 0, -1)
        : type === 'stream' ? await store.xLen(key)
        : type;
      state[`store ${key}`] = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
    }
  }
  return state;
}

/** Rows written to a service's outbox and not yet published, summed over the system (from the merged /metrics). */
async function outboxBacklog(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  return [...text.matchAll(/^tributary_outbox_backlog(?:\{[^}]*\})? (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * Nothing in flight: every outbox published and every consumer group of
 * every business stream has read and acknowledged everything, so what the
 * stores hold is what the requests so far made of them.
 */
async function settled(gatewayUrl: string, bus: RedisClient): Promise<boolean> {
  if ((await outboxBacklog(gatewayUrl)) !== 0) return false;
  for await (const keys of bus.scanIterator({ TYPE: 'stream', COUNT: 1_000 })) {
    for (const key of [keys].flat()) {
      if (BACKGROUND_STREAMS.has(key)) continue;
      for (const group of await groupsOf(bus, key)) if (group.pending !== 0 || (group.lag ?? 0) !== 0) return false;
    }
  }
  return true;
}

describe('malformed requests from the OpenAPI document', () => {
  let t: TestSystem;
  let bus: RedisClient;
  let store: RedisClient;
  beforeAll(async () => {
    t = await startTestSystem('pglite');
    bus = await connectRedis(t.bus.url);
    store = await connectRedis(t.store.url);
  }, 120_000);
  afterAll(async () => {
    await bus?.close();
    await store?.close();
    await t?.stop();
  });

  it('answer 4xx with {error, message}, never 5xx, and write nothing', async () => {
    const key = adminKey(t);
    const auth: Record<string, string> = key ? { 'x-api-key': key } : {};
    // Real ids, so that a malformed request reaches past "not found" into the handler.
    const user = await t.api<{ id: string }>('POST', '/api/users', { name: 'Fuzz Target', email: 'fuzz-target@example.com', country: 'GB', balanceCents: 10_000 }, auth);
    const product = await t.api<{ id: string }>('POST', '/api/products', { sku: 'FUZZ-1', name: 'Fuzz', priceCents: 100, stock: 10, bannedCountries: [] }, auth);
    expect([user.status, product.status]).toEqual([201, 201]);
    const known = { id: user.body.id, userId: user.body.id, productId: product.body.id, member: user.body.id };

    const cases: FuzzCase[] = [];
    const operations: string[] = [];
    for (const [template, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const name = `${method.toUpperCase()} ${template}`;
        if (EXCLUDED[name]) continue;
        operations.push(name);
        // Product routes name their id `id` too: use the product's where the path is a product's.
        const ids = template.startsWith('/api/products') ? { ...known, id: product.body.id } : known;
        cases.push(...casesFor(method, template, operation, ids));
      }
    }
    expect(cases.length).toBeGreaterThanOrEqual(300);
    console.info(`fuzz: ${cases.length} requests over ${operations.length} operations`);
    expect(Object.keys(EXCLUDED).every((name) => !operations.includes(name))).toBe(true);

    // Settled first: the two creations above reach the bus through outboxes, and their consumers copy them.
    await waitFor(() => settled(t.system.gatewayUrl, bus), { timeoutMs: 30_000, description: 'system settled before' });
    const before = await snapshot(bus, store);

    const failures: string[] = [];
    for (const fuzz of cases) {
      const response = await fetch(`${t.system.gatewayUrl}${fuzz.path}`, {
        method: fuzz.method,
        headers: { ...auth, ...fuzz.headers },
        ...(fuzz.body === undefined ? {} : { body: fuzz.body }),
      });
      const text = await response.text();
      const label = `${fuzz.operation} [${fuzz.variant}] → ${response.status}`;
      if (response.status >= 500) failures.push(`${label}: ${text.slice(0, 200)}`);
      else if (response.status >= 400) {
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: reported below.
        }
        const shaped = body !== null && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string' && typeof (body as { message?: unknown }).message === 'string';
        if (!shaped) failures.push(`${label}: not {error, message}: ${text.slice(0, 200)}`);
      } else if (fuzz.method !== 'GET' && !ACCEPTED_NO_OPS[fuzz.operation]?.(fuzz)) {
        // A change accepted from a malformed request is a write, whatever the stores show.
        failures.push(`${label}: a malformed ${fuzz.method} was accepted: ${text.slice(0, 200)}`);
      }
    }

    await waitFor(() => settled(t.system.gatewayUrl, bus), { timeoutMs: 30_000, description: 'system settled after' });
    const after = await snapshot(bus, store);
    expect(failures).toEqual([]);
    expect(after).toEqual(before);
  }, 180_000);
});
