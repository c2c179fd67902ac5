/** What the gateway takes from ordering's HTTP API instead of restating it: the request shapes it forwards. */
export { NewOrderBody } from './routes/schemas.ts';
