import type { FastifyInstance } from 'fastify';
import { httpError } from './errors.ts';

/**
 * Control characters are refused at the door, for every service, in the
 * body, the query string and the path parameters. NUL cannot be stored in a
 * PostgreSQL text column: it would pass the schema and fail at the database
 * as a 5xx, after other writes of the request may have happened. The others
 * (ESC sequences, backspace, C1 codes) are no one's name, address or SKU, and
 * stored they rewrite the terminal of whoever reads a log or the CLI's
 * output. Tab, line feed and carriage return are text and pass.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function findControl(value: unknown, path: string, depth = 0): string | null {
  // Bodies are bounded in size and nesting by the JSON parser and schemas; the depth cap only keeps the walk cheap.
  if (depth > 64) return null;
  if (typeof value === 'string') return CONTROL.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = findControl(value[index], `${path}[${index}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (CONTROL.test(key)) return `${path}.<key>`;
      const found = findControl(item, `${path}.${key}`, depth + 1);
      if (found) return found;
    }
  }
  return null;
}

export function refuseControlCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found = findControl(request.params, 'params') ?? findControl(request.query, 'query') ?? findControl(request.body, 'body');
    if (found) throw httpError('INVALID_CHARACTER', `${found} contains a control character (only tab, line feed and carriage return are allowed)`);
  });
}
