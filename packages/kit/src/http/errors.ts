import type { FastifyReply } from 'fastify';
import { kitHttpErrors, TributaryError, type HttpErrorCatalogue, type HttpErrorDeclaration, type KitHttpErrorCode } from '../errors.ts';

/**
 * An error a route throws to answer with a 4xx: `{ error: code, message }`.
 * Anything else that escapes a route is a bug and answers 500 without details.
 * Made by a catalogue's constructor (`defineHttpErrors`), never by hand, so
 * that every code a service answers is declared with its status.
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

/** A service's HTTP error constructor: `throw catalogError('PRODUCT_NOT_FOUND', `no product ${id}`)`. */
export interface HttpErrors<Own extends HttpErrorCatalogue> {
  (code: (keyof Own & string) | KitHttpErrorCode, message: string): HttpError;
  /** The service's own codes (the kit's are `kitHttpErrors`): what docs/openapi.json and test/error-codes.test.ts read. */
  readonly codes: Own;
}

/**
 * Declares a service's HTTP error codes, each with its status and meaning,
 * and returns the one constructor its routes throw with. It makes the kit's
 * codes too (VALIDATION_FAILED, IDEMPOTENCY_KEY_REUSED, …), which a service
 * may not declare again (the kit's status and meaning hold everywhere).
 */
export function defineHttpErrors<const Own extends HttpErrorCatalogue>(codes: Own & { readonly [Code in KitHttpErrorCode]?: never }): HttpErrors<Own> {
  const declared: Readonly<Record<string, HttpErrorDeclaration>> = { ...kitHttpErrors, ...codes };
  const make = (code: string, message: string): HttpError => {
    const declaration = declared[code];
    // Only reachable through a cast (the parameter's type is the declared codes); a route answers it with 500 INTERNAL.
    if (!declaration) throw new TributaryError('TRIB_BAD_ARGUMENTS', `undeclared HTTP error code ${code}`);
    return new HttpError(declaration.status, code, message);
  };
  return Object.assign(make, { codes });
}

/** The kit's own HTTP errors, for its app and plugins. */
export const httpError = defineHttpErrors({});

/** Answers with an HttpError from a hook that replies instead of throwing (it set headers of its own, e.g. Retry-After). */
export function sendHttpError(reply: FastifyReply, error: HttpError): FastifyReply {
  return reply.code(error.statusCode).send({ error: error.code, message: error.message });
}

export const ErrorBody = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;
