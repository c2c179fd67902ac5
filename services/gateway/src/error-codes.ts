import { accountsError } from '@tributary/accounts/src/errors.ts';
import { basketError } from '@tributary/basket/src/errors.ts';
import { catalogError } from '@tributary/catalog/src/errors.ts';
import { deliveryError } from '@tributary/delivery/src/errors.ts';
import { deliveryHistoryError } from '@tributary/delivery-history/src/errors.ts';
import { fulfillmentError } from '@tributary/fulfillment/src/errors.ts';
import { lendingError } from '@tributary/lending/src/errors.ts';
import { mailingError } from '@tributary/mailing/src/errors.ts';
import { orderMonitoringError } from '@tributary/order-monitoring/src/errors.ts';
import { orderingError } from '@tributary/ordering/src/errors.ts';
import { packageError } from '@tributary/package/src/errors.ts';
import { kitHttpErrors, type HttpErrorCatalogue } from 'tributary/http';
import { gatewayError } from './errors.ts';

/**
 * Every code the public API can answer, by who declares it: the gateway, the
 * kit's app and plugins, and each service the gateway relays (their 4xx
 * answers pass through unchanged; see upstream.ts).
 */
const DECLARED: ReadonlyArray<readonly [string, HttpErrorCatalogue]> = [
  ['gateway', gatewayError.codes],
  ['kit', kitHttpErrors],
  ['accounts', accountsError.codes],
  ['basket', basketError.codes],
  ['catalog', catalogError.codes],
  ['delivery', deliveryError.codes],
  ['delivery-history', deliveryHistoryError.codes],
  ['fulfillment', fulfillmentError.codes],
  ['lending', lendingError.codes],
  ['mailing', mailingError.codes],
  ['order-monitoring', orderMonitoringError.codes],
  ['ordering', orderingError.codes],
  ['package', packageError.codes],
];

/** The title the gateway's error answer schema carries (routes/schemas.ts), so the document can point it at one schema. */
export const ERROR_SCHEMA_TITLE = 'Error';

/** `components.schemas.ErrorCode`: every code, each line saying its status, who answers it and what it means. */
function errorCodeSchema() {
  // code → "status meaning" → owners: a code two services declare alike is one line naming both.
  const lines = new Map<string, Map<string, string[]>>();
  for (const [owner, codes] of DECLARED) {
    for (const [code, { status, meaning }] of Object.entries(codes)) {
      const variants = lines.get(code) ?? new Map<string, string[]>();
      const key = `${status}\u0000${meaning}`;
      variants.set(key, [...(variants.get(key) ?? []), owner]);
      lines.set(code, variants);
    }
  }
  const describe = (code: string) =>
    [...(lines.get(code) ?? [])].map(([key, owners]) => {
      const [status, meaning] = key.split('\u0000');
      return `${status} (${owners.join(', ')}): ${meaning}`;
    }).join('; ');
  const sorted = [...lines.keys()].sort();
  return {
    type: 'string',
    enum: sorted,
    description: [
      'The `error` of every error answer: a code a program can match (the `message` is for people).',
      'Declared in services/<name>/src/errors.ts and packages/kit/src/errors.ts (docs/architecture.md, "Error codes").',
      '',
      ...sorted.map((code) => `- \`${code}\` ${describe(code)}`),
    ].join('\n'),
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * For @fastify/swagger's transformObject: adds ErrorCode and Error to the
 * document's components and points every error answer at Error, in place of
 * the copy of the schema each route's response would repeat. Only the
 * document changes: routes still serialize their answers with their own schemas.
 */
export function documentErrorCodes<Document extends object>(document: Document): Document {
  const root = document as unknown as Record<string, unknown>;
  const errorRef = { $ref: `#/components/schemas/${ERROR_SCHEMA_TITLE}` };
  for (const operations of Object.values(isObject(root.paths) ? root.paths : {})) {
    for (const operation of Object.values(isObject(operations) ? operations : {})) {
      const responses = isObject(operation) && isObject(operation.responses) ? operation.responses : {};
      for (const response of Object.values(responses)) {
        const content = isObject(response) && isObject(response.content) ? response.content : {};
        for (const media of Object.values(content)) {
          if (isObject(media) && isObject(media.schema) && media.schema.title === ERROR_SCHEMA_TITLE) media.schema = errorRef;
        }
      }
    }
  }
  const components = isObject(root.components) ? root.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  schemas.ErrorCode = errorCodeSchema();
  schemas[ERROR_SCHEMA_TITLE] = {
    type: 'object',
    description: 'error',
    required: ['error', 'message'],
    properties: { error: { $ref: '#/components/schemas/ErrorCode' }, message: { type: 'string' } },
  };
  root.components = { ...components, schemas };
  return document;
}
