import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
}

/**
 * What makes two requests "the same" for an idempotency key: method, path
 * (with query) and body. A client that reuses a key for anything else gets
 * 422 instead of someone else's answer.
 */
export function fingerprintRequest(request: { method: string; url: string; body?: unknown }): string {
  return createHash('sha256')
    .update(`${request.method.toUpperCase()}\n${request.url}\n${canonicalJson(request.body)}`)
    .digest('base64url');
}
