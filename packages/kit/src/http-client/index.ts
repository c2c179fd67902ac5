import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * A JSON-over-HTTP call on Node's own client with a keep-alive pool, for
 * the hot paths that call HTTP many times a second (the gateway to its
 * services, the load generator to the gateway). Not fetch: fetch builds
 * WHATWG Request/Response objects and body streams, and each call needs an
 * AbortSignal.timeout timer; in the gateway's CPU profile under load undici
 * and AbortSignal were 31% of the process (docs/benchmarks.md). Idle sockets
 * close after 30 s, before a Fastify server's 72 s keep-alive would close
 * them under a request.
 */
const agentOptions = { keepAlive: true, timeout: 30_000, maxSockets: 256 };
const agents = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) };

export interface RawHttpReply {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

/** Sends one request; rejects on a connection error or when the socket is idle for `timeoutMs` (error name TimeoutError). */
export function sendHttp(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RawHttpReply> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const call = (secure ? httpsRequest : httpRequest)(url, { method, headers, agent: agents[secure ? 'https:' : 'http:'] }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: response.headers }));
      response.on('error', reject);
    });
    // Idle time on the socket: a server that says nothing for this long is given up on.
    call.setTimeout(timeoutMs, () => call.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })));
    call.on('error', reject);
    call.end(body);
  });
}
