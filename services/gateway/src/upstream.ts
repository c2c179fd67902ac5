import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HttpError, internalKeyHeaders, SERVICE_HEADER } from 'tributary/http';
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

// Node's own client with a keep-alive pool rather than fetch: fetch builds
// WHATWG Request/Response objects and body streams, and each call needs an
// AbortSignal.timeout timer; in the gateway's CPU profile under load undici
// and AbortSignal were 31% of the process (docs/benchmarks.md). Idle sockets
// close after 30 s, before a Fastify service's 72 s keep-alive would close
// them under a request.
const agentOptions = { keepAlive: true, timeout: 30_000, maxSockets: 256 };
const agents = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) };

interface RawReply {
  status: number;
  text: string;
  /** The kit app's SERVICE_HEADER: which service answered (null from anything else). */
  answeredBy: string | null;
}

function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const call = (secure ? httpsRequest : httpRequest)(url, { method, headers, agent: agents[secure ? 'https:' : 'http:'] }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const answeredBy = response.headers[SERVICE_HEADER];
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), answeredBy: typeof answeredBy === 'string' ? answeredBy : null });
      });
      response.on('error', reject);
    });
    // Idle time on the socket: a service that says nothing for this long is given up on.
    call.setTimeout(timeoutMs, () => call.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })));
    call.on('error', reject);
    call.end(body);
  });
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
  let reply: RawReply;
  try {
    reply = await send(new URL(`${base}${path}`), method, headers, body, options.timeoutMs ?? 10_000);
  } catch (error) {
    throw new HttpError(503, 'SERVICE_UNAVAILABLE', `a service is unreachable (${(error as Error).name}), try again`);
  }
  const expected = expectedServices.get(base);
  if (expected !== undefined && reply.answeredBy !== null && reply.answeredBy !== expected) {
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
