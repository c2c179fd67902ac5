export { createHttpApp, type HttpApp, type HttpAppOptions } from './app.ts';
export { HttpError, ErrorBody } from './errors.ts';
