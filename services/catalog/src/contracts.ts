/** What the gateway takes from catalog's HTTP API instead of restating it: the request shapes it forwards. */
export { CreateProductBody, ListQuery, PatchProductBody } from './routes/schemas.ts';
