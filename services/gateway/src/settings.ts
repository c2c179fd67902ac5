import { TributaryError } from 'tributary';

/**
 * The gateway's own knobs, from the environment. Defaults suit `npm start`
 * on one machine; each is documented in docs/architecture.md.
 */
export interface GatewaySettings {
  /** Token bucket per client (session, else IP) on /api/*. */
  rateLimit: { burst: number; perSecond: number };
  /** Sign-in attempts per client IP per minute (sliding window), against email probing. */
  loginPerMinute: number;
  /**
   * Admin routes, operator views and every customer's data need this key
   * (`x-api-key` or `Authorization: Bearer`) or an operator sign-in made
   * with it; a customer's data also opens to that customer's session.
   * Null is open mode (TRIBUTARY_AUTH=open): every route open to anyone.
   */
  adminApiKey: string | null;
  session: { ttlSeconds: number; secureCookie: boolean; secret: string | null };
  /** How long an Idempotency-Key's answer is replayed. */
  idempotencyTtlSeconds: number;
  /**
   * How far back (entries per stream, newest first) an order's timeline is
   * searched for its events: streams are trimmed, not indexed by order, so
   * this bounds the work of one GET /api/orders/:id/timeline.
   */
  timelineScanLimit: number;
}

/**
 * The burst and rate are per client, and all local clients share one IP: the
 * system tests place 40 orders in waves and poll every order four times a
 * second (about 160 requests/s from 127.0.0.1), and must never see a 429.
 */
export const gatewayDefaults: GatewaySettings = {
  rateLimit: { burst: 1_000, perSecond: 200 },
  loginPerMinute: 20,
  // In-process gateways (tests) choose; from the environment a missing key is refused (settingsFromEnv).
  adminApiKey: null,
  // Plain HTTP on 127.0.0.1 by default; set SESSION_COOKIE_SECURE=1 behind TLS.
  session: { ttlSeconds: 24 * 60 * 60, secureCookie: false, secret: null },
  idempotencyTtlSeconds: 24 * 60 * 60,
  timelineScanLimit: 10_000,
};

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`gateway: ${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new Error(`gateway: ${name} must be 1 or 0, got "${raw}"`);
}

/**
 * The admin key, or null for open mode. Open must be asked for by name: a
 * gateway that merely lacks its key refuses to start rather than serve
 * everyone's data to anyone.
 */
function adminKeyFromEnv(env: NodeJS.ProcessEnv): string | null {
  const mode = env.TRIBUTARY_AUTH ?? '';
  const key = env.ADMIN_API_KEY || null;
  if (mode !== '' && mode !== 'open' && mode !== 'key') {
    throw new TributaryError('TRIB_INVALID_CONFIG', `gateway: TRIBUTARY_AUTH must be "key" or "open", got "${mode}"`);
  }
  if (mode === 'open') {
    if (key !== null) throw new TributaryError('TRIB_INVALID_CONFIG', 'gateway: TRIBUTARY_AUTH=open and ADMIN_API_KEY are both set: choose one');
    return null;
  }
  if (key === null) {
    throw new TributaryError(
      'TRIB_INVALID_CONFIG',
      'gateway: ADMIN_API_KEY is not set. `npm start` creates one in .data/admin-key; to run with every route open to anyone, set TRIBUTARY_AUTH=open',
    );
  }
  return key;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  const d = gatewayDefaults;
  return {
    rateLimit: {
      burst: positive(env, 'RATE_LIMIT_BURST', d.rateLimit.burst, true),
      perSecond: positive(env, 'RATE_LIMIT_PER_SECOND', d.rateLimit.perSecond, false),
    },
    loginPerMinute: positive(env, 'LOGIN_RATE_LIMIT_PER_MINUTE', d.loginPerMinute, true),
    adminApiKey: adminKeyFromEnv(env),
    session: {
      ttlSeconds: positive(env, 'SESSION_TTL_SECONDS', d.session.ttlSeconds, true),
      secureCookie: flag(env, 'SESSION_COOKIE_SECURE', d.session.secureCookie),
      secret: env.SESSION_COOKIE_SECRET || null,
    },
    idempotencyTtlSeconds: positive(env, 'IDEMPOTENCY_TTL_SECONDS', d.idempotencyTtlSeconds, true),
    timelineScanLimit: positive(env, 'TIMELINE_SCAN_LIMIT', d.timelineScanLimit, true),
  };
}
