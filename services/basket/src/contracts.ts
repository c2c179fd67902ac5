/** What the gateway takes from the basket's HTTP API instead of restating it: the request shapes it forwards. */
export { SetItemBody } from './routes/schemas.ts';
