import { internalKeyHeaders, SERVICE_HEADER } from 'tributary/http';
import { sendHttp, type RawHttpReply } from 'tributary/http-client';
import { traceHeaders } from 'tributary/telemetry';
import { gatewayError } from './errors.ts';

/**
 * Base URLs of the services the gateway fronts: each names a service by its
 * first instance's URL; callUpstream spreads calls over all its instances.
 */
export interface Upstreams {
  accounts: string;
  catalog: string;
  ordering: string;
  fulfillment: string;
  orderMonitoring: string;
  basket: string;
  mailing: string;
  package: string;
  delivery: string;
  deliveryHistory: string;
  /** The lending library (its shelving service is lending's upstream, not the gateway's). */
  lending: string;
  /**
   * Services the gateway never routes to but shows to operators (health,
   * traces, metrics). Optional: `npm start` sets their URLs, a gateway run
   * without them simply does not list them.
   */
  droneSim?: string;
  shelving?: string;
}

/**
 * Every instance of each service, by the service's base URL (its Upstreams
 * value): from `<NAME>_URLS`, which `npm start --scale` sets. A base with no
 * entry is one instance (a cluster's Service address spreads calls itself).
 */
const instancesOf = new Map<string, readonly string[]>();
/** Where the next call to a service starts in its instance list: round robin. */
const nextInstance = new Map<string, number>();

/** The instances behind a base URL, the base alone when it has no list. */
export function instanceUrls(base: string): readonly string[] {
  return instancesOf.get(base) ?? [base];
}

/** Every instance the gateway knows a URL for, by its service name (`orderMonitoring` is `order-monitoring`). */
export function observedServices(upstreams: Upstreams): Array<{ name: string; url: string }> {
  return Object.entries(upstreams)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '')
    .flatMap(([key, base]) => instanceUrls(base).map((url) => ({ name: key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`), url })));
}

/**
 * The service each upstream URL of this process's gateway is. An answer
 * from that address that names another service came from a stranger: the
 * service restarted and, for a moment, another process was given its port.
 */
const expectedServices = new Map<string, string>();

export function upstreamsFromEnv(env: NodeJS.ProcessEnv = process.env): Upstreams {
  const trim = (url: string) => url.trim().replace(/\/$/, '');
  // `<NAME>_URLS` (every instance, comma-separated) beside `<NAME>_URL`: the base is the single URL, else the list's first.
  const lists = new Map<string, string[]>();
  const listed = (name: string): string[] => (env[`${name}S`] ?? '').split(',').map(trim).filter((url) => url !== '');
  const need = (name: string): string => {
    const all = listed(name);
    const value = env[name] ? trim(env[name]) : all[0];
    if (!value) throw new Error(`gateway: ${name} (or ${name}S) is not set (npm start sets it)`);
    for (const url of all) {
      if (!URL.canParse(url)) throw new Error(`gateway: ${name}S holds "${url}", not a URL`);
    }
    if (all.length > 0) lists.set(value, all.includes(value) ? all : [value, ...all]);
    return value;
  };
  const upstreams: Upstreams = {
    accounts: need('ACCOUNTS_URL'),
    catalog: need('CATALOG_URL'),
    ordering: need('ORDERING_URL'),
    fulfillment: need('FULFILLMENT_URL'),
    orderMonitoring: need('ORDER_MONITORING_URL'),
    basket: need('BASKET_URL'),
    mailing: need('MAILING_URL'),
    package: need('PACKAGE_URL'),
    delivery: need('DELIVERY_URL'),
    deliveryHistory: need('DELIVERY_HISTORY_URL'),
    lending: need('LENDING_URL'),
    ...(env.DRONE_SIM_URL || env.DRONE_SIM_URLS ? { droneSim: need('DRONE_SIM_URL') } : {}),
    ...(env.SHELVING_URL || env.SHELVING_URLS ? { shelving: need('SHELVING_URL') } : {}),
  };
  for (const [base, all] of lists) instancesOf.set(base, all);
  for (const { name, url } of observedServices(upstreams)) expectedServices.set(url, name);
  return upstreams;
}

export interface UpstreamReply {
  status: number;
  body: unknown;
}

/** Refused before a byte was sent: the call never reached that instance, so another may take it (even a POST). */
const neverReached = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ECONNREFUSED';

/** Sends to the service's instances in round robin; one that refuses the connection (down, restarting) is skipped for the next. */
async function sendToInstance(base: string, method: string, path: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<{ url: string; reply: RawHttpReply }> {
  const all = instanceUrls(base);
  const start = nextInstance.get(base) ?? 0;
  nextInstance.set(base, (start + 1) % all.length);
  for (let attempt = 0; ; attempt++) {
    const url = all[(start + attempt) % all.length] as string;
    try {
      return { url, reply: await sendHttp(new URL(`${url}${path}`), method, headers, body, timeoutMs) };
    } catch (error) {
      if (!neverReached(error) || attempt + 1 >= all.length) throw error;
    }
  }
}

/**
 * Calls a service (one of its instances). Its 4xx answers pass through
 * unchanged (they are the caller's fault and already `{error, message}`); an
 * unreachable or failing service becomes 503 SERVICE_UNAVAILABLE: the gateway
 * never leaks a 500.
 */
export async function callUpstream(
  base: string,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<UpstreamReply> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  // The active span's traceparent: the service's request span joins the gateway's trace.
  const headers: Record<string, string> = { ...traceHeaders(), ...internalKeyHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
  let reply: RawHttpReply;
  let url: string;
  try {
    ({ url, reply } = await sendToInstance(base, method, path, headers, body, options.timeoutMs ?? 10_000));
  } catch (error) {
    throw gatewayError('SERVICE_UNAVAILABLE', `a service is unreachable (${(error as Error).name}), try again`);
  }
  const expected = expectedServices.get(url);
  // The kit app's SERVICE_HEADER: which service answered (absent from anything else).
  const answeredBy = reply.headers[SERVICE_HEADER];
  if (expected !== undefined && typeof answeredBy === 'string' && answeredBy !== expected) {
    throw gatewayError('SERVICE_UNAVAILABLE', 'a service is restarting, try again');
  }
  let parsed: unknown = null;
  try {
    parsed = reply.text ? JSON.parse(reply.text) : null;
  } catch {
    const code: keyof typeof gatewayError.codes = 'BAD_UPSTREAM_REPLY';
    parsed = { error: code, message: 'service answered with non-JSON' };
  }
  if (reply.status >= 500) throw gatewayError('SERVICE_UNAVAILABLE', 'a service failed to answer, try again');
  return { status: reply.status, body: parsed };
}

/**
 * Sends a service's answer on as the gateway's. The route's response schema
 * still serializes it, so nothing the service adds leaks past the contract.
 */
export function relay<Reply>(reply: Reply, answer: UpstreamReply): Reply {
  (reply as unknown as { code(status: number): { send(body: unknown): unknown } }).code(answer.status).send(answer.body);
  return reply;
}
