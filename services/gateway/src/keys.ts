/**
 * Every key prefix the gateway uses in its store Redis, here and nowhere
 * else. The kit capabilities build the keys under them.
 */
export const SERVICE = 'gateway';

export const gatewayKeys = {
  /** Hashes `<prefix>:<sessionId>`, sliding TTL. */
  sessions: `${SERVICE}:session`,
  /** Token buckets `<prefix>:session:<id>` / `<prefix>:ip:<address>`. */
  apiRateLimit: `${SERVICE}:ratelimit:api`,
  /** Sorted sets `<prefix>:ip:<address>`: sign-in attempts. */
  loginRateLimit: `${SERVICE}:ratelimit:login`,
  /** Hashes `<prefix>:<client>:<route>:<key>`: recorded answers to Idempotency-Keys. */
  idempotency: `${SERVICE}:idempotency`,
  /** Strings `<prefix>:<sha256 of token>` = a digest of the admin key it was made with: operator sign-ins of the dashboard, with TTL. */
  adminTokens: `${SERVICE}:admin-token`,
} as const;
