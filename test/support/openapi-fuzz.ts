/**
 * Malformed requests generated from an OpenAPI 3.0 document: per operation,
 * bad path ids, bad query values, wrong types, missing and extra fields,
 * control characters, huge numbers, long strings, bodies that are not JSON
 * or not declared JSON. Enumerated, not random: a failure names a request
 * that fails again on the next run.
 */
export interface JsonSchema {
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
export interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}
export interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}
export interface FuzzCase {
  operation: string;
  variant: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

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
export function casesFor(method: string, template: string, operation: Operation, known: Record<string, string>): FuzzCase[] {
  const name = `${method.toUpperCase()} ${template}`;
  const parameters = operation.parameters ?? [];
  const pathParams = parameters.filter((parameter) => parameter.in === 'path');
  const queryParams = parameters.filter((parameter) => parameter.in === 'query');
  const goodParams = Object.fromEntries(pathParams.map((parameter) => [parameter.name, String(sample(parameter.schema, parameter.name, known))]));
  const jsonSchema = operation.requestBody?.content['application/json']?.schema;
  const goodBody = jsonSchema ? sample(jsonSchema, 'body', known) : undefined;
  const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const base = { operation: name, method: method.toUpperCase(), path: fill(template, goodParams), headers: {}, ...(goodBody === undefined ? {} : json(goodBody)) };
  const { body: _body, ...withoutBody } = base;
  // Every operation, with parameters or not: a parameter it does not know, holding a NUL.
  const cases: FuzzCase[] = [{ ...base, variant: 'query: unknown parameter with a NUL', path: `${base.path}?fuzz=a%00b` }];

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
      { ...withoutBody, variant: 'body: none', headers: {} },
    );
  }
  // GET and DELETE have no body here: fetch refuses one on GET, and a body there is meaningless anyway.
  if (base.method === 'GET') return cases.filter((fuzz) => !fuzz.variant.startsWith('body') && !fuzz.variant.startsWith('content-type'));
  return cases;
}

