export { onBus } from '../bus-guard.ts';
import type { RedisClient } from 'tributary';
import { internalKeyHeaders } from 'tributary/http';
import type { LiveEvents } from '../live-events.ts';
import type { RouteContext } from './context.ts';

/** What the operator routes (system, live events, timeline, traces, lending feed) are given besides the usual. */
export interface OpsContext extends RouteContext {
  /** The gateway's own Redis (sessions, limits): shown beside the bus in the services view. */
  store: RedisClient;
  /** Every service the gateway has a URL for, by service name: health, traces and metrics ask them all. */
  services: ReadonlyArray<{ name: string; url: string }>;
  /** The streams the operator views cover: every stream in the contracts. */
  streams: readonly string[];
  liveEvents: LiveEvents;
  /** Entries per stream an order's timeline searches back (TIMELINE_SCAN_LIMIT). */
  timelineScanLimit: number;
}

/** Fetches JSON from a service with a deadline; never throws (operator views show what they can). */
export async function fetchJson(url: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<{ ok: true; body: unknown } | { ok: false; error: string }> {
  try {
    const response = await fetch(url, { headers: { ...internalKeyHeaders(), ...headers }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (!response.ok) return { ok: false, error: `HTTP ${response.status}` };
    return { ok: true, body: text ? JSON.parse(text) : null };
  } catch (error) {
    const { name, message, cause } = error as Error & { cause?: { code?: string } };
    // fetch says only "fetch failed"; the cause says why (ECONNREFUSED: nothing listens).
    return { ok: false, error: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause?.code ?? message };
  }
}
