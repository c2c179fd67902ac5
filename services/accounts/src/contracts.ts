/** What the gateway takes from accounts' HTTP API instead of restating it: the request shapes it forwards. */
export { CreateUserBody, PatchUserBody } from './routes/schemas.ts';
