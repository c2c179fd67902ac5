import { Type, type Static } from '@sinclair/typebox';
import { TributaryError } from 'tributary';
import { readSettings } from 'tributary/settings';

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
 * The gateway's numeric and flag knobs as the environment spells them; the
 * admin key, auth mode and cookie secret are read by hand below (secrets and
 * a mode that must be chosen by name, not knobs with a default).
 *
 * The burst and rate are per client, and all local clients share one IP: the
 * system tests place 40 orders in waves and poll every order four times a
 * second (about 160 requests/s from 127.0.0.1), and must never see a 429.
 */
export const gatewaySettingsSchema = Type.Object({
  rateLimitBurst: Type.Integer({ env: 'RATE_LIMIT_BURST', default: 1_000, minimum: 1, description: 'Token bucket size per client (session, else IP) on /api/*; requests with the valid ADMIN_API_KEY are not counted, so `tributary load` measures the system.' }),
  rateLimitPerSecond: Type.Number({ env: 'RATE_LIMIT_PER_SECOND', default: 200, exclusiveMinimum: 0, description: 'Tokens per second refilled per client on /api/*.' }),
  loginPerMinute: Type.Integer({ env: 'LOGIN_RATE_LIMIT_PER_MINUTE', default: 20, minimum: 1, description: 'Sign-in attempts per client IP per minute (sliding window), against email probing.' }),
  sessionTtlSeconds: Type.Integer({ env: 'SESSION_TTL_SECONDS', default: 24 * 60 * 60, minimum: 1, description: 'How long a session lives.' }),
  // Plain HTTP on 127.0.0.1 by default; set SESSION_COOKIE_SECURE=1 behind TLS.
  sessionCookieSecure: Type.Boolean({ env: 'SESSION_COOKIE_SECURE', default: false, description: 'Mark the session cookie Secure (set behind TLS).' }),
  idempotencyTtlSeconds: Type.Integer({ env: 'IDEMPOTENCY_TTL_SECONDS', default: 24 * 60 * 60, minimum: 1, description: "How long an Idempotency-Key's answer is replayed." }),
  timelineScanLimit: Type.Integer({ env: 'TIMELINE_SCAN_LIMIT', default: 10_000, minimum: 1, description: "Entries per stream (newest first) searched for an order's timeline events." }),
});

type GatewayKnobs = Static<typeof gatewaySettingsSchema>;

function fromKnobs(knobs: GatewayKnobs, adminApiKey: string | null, secret: string | null): GatewaySettings {
  return {
    rateLimit: { burst: knobs.rateLimitBurst, perSecond: knobs.rateLimitPerSecond },
    loginPerMinute: knobs.loginPerMinute,
    adminApiKey,
    session: { ttlSeconds: knobs.sessionTtlSeconds, secureCookie: knobs.sessionCookieSecure, secret },
    idempotencyTtlSeconds: knobs.idempotencyTtlSeconds,
    timelineScanLimit: knobs.timelineScanLimit,
  };
}

// In-process gateways (tests) choose their key; from the environment a missing key is refused (settingsFromEnv).
export const gatewayDefaults: GatewaySettings = fromKnobs(readSettings(gatewaySettingsSchema, {}), null, null);

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
  return fromKnobs(readSettings(gatewaySettingsSchema, env), adminKeyFromEnv(env), env.SESSION_COOKIE_SECRET || null);
}
