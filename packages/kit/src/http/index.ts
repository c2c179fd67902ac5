export { createHttpApp, SERVICE_HEADER, type HttpApp, type HttpAppOptions } from './app.ts';
export { HttpError, ErrorBody } from './errors.ts';
