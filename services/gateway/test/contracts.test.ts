import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LendingRequested, ReturnRequested } from '@tributary/contracts';
import { CreateUserBody, PatchUserBody } from '@tributary/accounts/src/contracts.ts';
import { SetItemBody } from '@tributary/basket/src/contracts.ts';
import { CreateProductBody, ListQuery, PatchProductBody } from '@tributary/catalog/src/contracts.ts';
import { ArchiveBody } from '@tributary/delivery-history/src/contracts.ts';
import { NewOrderBody } from '@tributary/ordering/src/contracts.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A schema as @fastify/swagger writes it into OpenAPI 3.0, so that a service's
 * TypeBox schema and the gateway's document compare: descriptions dropped,
 * `const` as a one-value `enum`, a union with null as `nullable`, keys sorted.
 */
function normalize(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(normalize);
  if (schema === null || typeof schema !== 'object') return schema;
  const { description: _description, title: _title, ...rest } = schema;
  if (Array.isArray(rest.anyOf)) {
    const options = rest.anyOf as Json[];
    const isNull = (option: Json) => typeof option === 'object' && option !== null && !Array.isArray(option) && option.type === 'null';
    const others = options.filter((option) => !isNull(option));
    if (others.length === 1 && options.length === 2) {
      const { anyOf: _anyOf, ...outer } = rest;
      return normalize({ ...outer, ...(others[0] as { [key: string]: Json }), nullable: true });
    }
  }
  if ('const' in rest) {
    const { const: value, ...others } = rest;
    return normalize({ ...others, enum: [value as Json] });
  }
  return Object.fromEntries(Object.keys(rest).sort().map((key) => [key, normalize(rest[key] as Json)]));
}

const plain = (schema: unknown): Json => JSON.parse(JSON.stringify(schema)) as Json;

interface Operation {
  requestBody?: { content: Record<string, { schema: Json }> };
  parameters?: Array<{ in: string; name: string; required?: boolean; schema: Json }>;
}
const document = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'docs', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};
const operation = (method: string, path: string): Operation => {
  const found = document.paths[path]?.[method];
  if (!found) throw new Error(`docs/openapi.json has no ${method.toUpperCase()} ${path}`);
  return found;
};
const bodyOf = (method: string, path: string): Json => operation(method, path).requestBody?.content['application/json']?.schema ?? null;

/** A query schema as OpenAPI lists it: one parameter per property. */
function queryOf(method: string, path: string): Json {
  const parameters = (operation(method, path).parameters ?? []).filter((parameter) => parameter.in === 'query');
  return Object.fromEntries(parameters.map((parameter) => [parameter.name, { required: parameter.required ?? false, schema: parameter.schema }]));
}
function queryParameters(schema: unknown): Json {
  const object = plain(schema) as { properties: Record<string, Json>; required?: string[] };
  return Object.fromEntries(Object.entries(object.properties).map(([name, property]) => [name, { required: (object.required ?? []).includes(name), schema: property }]));
}

/**
 * What the gateway forwards, and the service schema that decides it. The
 * gateway's OpenAPI document (docs/openapi.json, what `npm run catalogue`
 * writes) must state exactly the service's rules: a restated copy that
 * drifted (a field the service accepts and the gateway refuses, a bound
 * that differs) fails here.
 */
const FORWARDED: Array<[string, () => Json, unknown]> = [
  ['POST /api/users (accounts)', () => bodyOf('post', '/api/users'), CreateUserBody],
  ['PATCH /api/users/{id} (accounts)', () => bodyOf('patch', '/api/users/{id}'), PatchUserBody],
  ['POST /api/products (catalog)', () => bodyOf('post', '/api/products'), CreateProductBody],
  ['PATCH /api/products/{id} (catalog)', () => bodyOf('patch', '/api/products/{id}'), PatchProductBody],
  ['PUT /api/baskets/{userId}/items/{productId} (basket)', () => bodyOf('put', '/api/baskets/{userId}/items/{productId}'), SetItemBody],
  ['POST /api/orders (ordering)', () => bodyOf('post', '/api/orders'), NewOrderBody],
  ['POST /api/admin/delivery-history/archive (delivery-history)', () => bodyOf('post', '/api/admin/delivery-history/archive'), ArchiveBody],
];

describe("the gateway's OpenAPI document states each service's own request schemas", () => {
  it.each(FORWARDED)('%s', (_name, documented, service) => {
    expect(normalize(documented())).toEqual(normalize(plain(service)));
  });

  it('GET /api/products (catalog): the query parameters', () => {
    expect(normalize(queryOf('get', '/api/products'))).toEqual(normalize(queryParameters(ListQuery)));
  });

  it.each([
    ['POST /api/lending/requests (lending)', '/api/lending/requests', LendingRequested.schema],
    ['POST /api/lending/returns (lending)', '/api/lending/returns', ReturnRequested.schema],
  ])('%s: the fields of the event lending appends', (_name, path, event) => {
    // The gateway refuses unknown fields where lending's event schema is open to later versions' fields.
    const documented = bodyOf('post', path) as { properties: Json; required: Json };
    const schema = plain(event) as { properties: Json; required: Json };
    expect(normalize({ properties: documented.properties, required: documented.required })).toEqual(normalize({ properties: schema.properties, required: schema.required }));
  });
});
