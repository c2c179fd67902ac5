import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.ts';

/**
 * NUL cannot be stored in a PostgreSQL text column: a string holding one
 * would pass the schema and fail at the database as a 5xx, after other
 * writes of the request may have happened. So it is refused at the door, for
 * every service, in the body, the query string and the path parameters.
 */
const NUL = '\u0000';

function findNul(value: unknown, path: string, depth = 0): string | null {
  // Bodies are bounded in size and nesting by the JSON parser and schemas; the depth cap only keeps the walk cheap.
  if (depth > 64) return null;
  if (typeof value === 'string') return value.includes(NUL) ? path : null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = findNul(value[index], `${path}[${index}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(NUL)) return `${path}.<key>`;
      const found = findNul(item, `${path}.${key}`, depth + 1);
      if (found) return found;
    }
  }
  return null;
}

export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found = findNul(request.params, 'params') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
    if (found) throw new HttpError(400, 'INVALID_CHARACTER', `${found} contains a NUL character, which is not allowed`);
  });
}
