export { createHttpApp, SERVICE_HEADER, type HttpApp, type HttpAppOptions } from './app.ts';
export { HttpError, ErrorBody, defineHttpErrors, httpError, sendHttpError, type HttpErrors } from './errors.ts';
export { kitHttpErrors, type HttpErrorCatalogue, type HttpErrorDeclaration, type KitHttpErrorCode } from '../errors.ts';
export { INTERNAL_KEY_ENV, INTERNAL_KEY_HEADER, internalKeyHeaders, requireInternalKey } from './internal-key.ts';
export { serverSentEvents, SSE_MAX_BUFFERED_BYTES, type SendEvent, type ServerSentEvents } from './server-sent-events.ts';
