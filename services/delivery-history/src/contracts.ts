/** What the gateway takes from delivery-history's HTTP API instead of restating it: the request shapes it forwards. */
export { ArchiveBody } from './routes/schemas.ts';
