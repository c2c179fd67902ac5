export {
  createIdempotencyStore,
  idempotencyDefaults,
  isIdempotencyKey,
  type IdempotencyStore,
  type IdempotencyStoreOptions,
  type Claim,
  type Outcome,
  type RecordedResponse,
} from './store.ts';
export { idempotencyHooks, REPLAYED_HEADER, type IdempotencyHooks, type IdempotencyHookOptions } from './fastify.ts';
export { fingerprintRequest, canonicalJson } from './fingerprint.ts';
