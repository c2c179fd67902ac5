import { randomBytes } from 'node:crypto';

/**
 * 32 bytes from the OS CSPRNG (256 bits, OWASP asks for at least 64 bits of
 * entropy), base64url so it is safe in a cookie and in a Redis key.
 */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Anything else never reaches Redis: a tampered cookie is simply no session. */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}
