import { HttpError, internalKeyHeaders, SERVICE_HEADER } from 'tributary/http';
import { sendHttp, type RawHttpReply } from 'tributary/http-client';
import { traceHeaders } from 'tributary/telemetry';

/** Base URLs of the services the gateway fronts. */
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

/** Every service the gateway knows a URL for, by its service name (`orderMonitoring` is `order-monitoring`). */
export function observedServices(upstreams: Upstreams): Array<{ name: string; url: string }> {
  return Object.entries(upstreams)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '')
    .map(([key, url]) => ({ name: key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`), url }));
}

/**
 * The service each upstream URL of this process's gateway is. An answer
 * from that address that names another service came from a stranger: the
 * service restarted and, for a moment, another process was given its port.
 */
const expectedServices = new Map<string, string>();

export function upstreamsFromEnv(env: NodeJS.ProcessEnv = process.env): Upstreams {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`gateway: ${name} is not set (npm start sets it)`);
    return value.replace(/\/$/, '');
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
    ...(env.DRONE_SIM_URL ? { droneSim: env.DRONE_SIM_URL.replace(/\/$/, '') } : {}),
    ...(env.SHELVING_URL ? { shelving: env.SHELVING_URL.replace(/\/$/, '') } : {}),
  };
  for (const { name, url } of observedServices(upstreams)) expectedServices.set(url, name);
  return upstreams;
}

export interface UpstreamReply {
  status: number;
  body: unknown;
}

/**
 * Calls a service. Its 4xx answers pass through unchanged (they are the
 * caller's fault and already `{error, message}`); an unreachable or failing
 * service becomes 503 SERVICE_UNAVAILABLE: the gateway never leaks a 500.
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
  try {
    reply = await sendHttp(new URL(`${base}${path}`), method, headers, body, options.timeoutMs ?? 10_000);
  } catch (error) {
    throw new HttpError(503, 'SERVICE_UNAVAILABLE', `a service is unreachable (${(error as Error).name}), try again`);
  }
  const expected = expectedServices.get(base);
  // The kit app's SERVICE_HEADER: which service answered (absent from anything else).
  const answeredBy = reply.headers[SERVICE_HEADER];
  if (expected !== undefined && typeof answeredBy === 'string' && answeredBy !== expected) {
    throw new HttpError(503, 'SERVICE_UNAVAILABLE', 'a service is restarting, try again');
  }
  let parsed: unknown = null;
  try {
    parsed = reply.text ? JSON.parse(reply.text) : null;
  } catch {
    parsed = { error: 'BAD_UPSTREAM_REPLY', message: 'service answered with non-JSON' };
  }
  if (reply.status >= 500) throw new HttpError(503, 'SERVICE_UNAVAILABLE', 'a service failed to answer, try again');
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
