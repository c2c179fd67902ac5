import { InvalidArgumentError, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { sendHttp, type RawHttpReply } from 'tributary/http-client';
import { ADMIN_KEY_FILE } from '@tributary/launcher/services';
import { CliError, EXIT } from './errors.ts';
import { dataDir, describe } from './redis.ts';

/** The options of every command that talks to the gateway's HTTP API. */
export interface GatewayOptions {
  gateway?: string;
}

export interface AdminOptions extends GatewayOptions {
  apiKey?: string;
}

/** Adds --gateway. The default is resolved when the command runs (never shown with an environment value in --help). */
export function withGatewayOption(command: Command): Command {
  return command.option('--gateway <url>', 'the gateway. Default: $TRIBUTARY_URL, else http://127.0.0.1:${PORT:-8080}');
}

/** Adds --api-key (admin routes). Never printed, not even as a default in --help. */
export function withApiKeyOption(command: Command): Command {
  return command.option('--api-key <key>', `admin key, sent as x-api-key. Default: $ADMIN_API_KEY, else the key \`npm start\` keeps in .data/${ADMIN_KEY_FILE} (never printed)`);
}

/** The gateway's base URL: --gateway, else TRIBUTARY_URL, else the local `npm start` port. */
export function resolveGatewayUrl(options: GatewayOptions, env: NodeJS.ProcessEnv = process.env): string {
  const raw = options.gateway ?? env.TRIBUTARY_URL ?? `http://127.0.0.1:${env.PORT || '8080'}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`not a gateway URL: ${raw} (expected http://host:port)`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`not a gateway URL: ${raw} (expected http:// or https://)`, EXIT.usage);
  // Credentials in the URL would end up in messages: refuse them, there is --api-key.
  if (url.username || url.password) throw new CliError('the gateway URL must not carry credentials; use --api-key', EXIT.usage);
  return url.toString().replace(/\/+$/, '');
}

/** --api-key, else ADMIN_API_KEY, else the key a local `npm start` made (`<data dir>/admin-key`), else none. */
export function resolveApiKey(options: AdminOptions, env: NodeJS.ProcessEnv = process.env): string | null {
  if (options.apiKey !== undefined) return options.apiKey;
  if (env.ADMIN_API_KEY) return env.ADMIN_API_KEY;
  try {
    return readFileSync(join(dataDir(env), ADMIN_KEY_FILE), 'utf8').trim() || null;
  } catch {
    // No local system, or open mode: requests go without a key, and a 401 says how to give one.
    return null;
  }
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiRequest {
  body?: unknown;
  headers?: Record<string, string>;
  apiKey?: string | null;
  timeoutMs?: number;
}

/** A request that never reached an answer: the gateway is down or unreachable. */
export class Unreachable extends CliError {}

/**
 * One call to the gateway. Any HTTP status is returned (the caller decides
 * what a 4xx means); a refused connection or a timeout is a CliError (exit 1)
 * that says where and what to do.
 */
export async function callGateway<T = unknown>(base: string, method: string, path: string, request: ApiRequest = {}): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.apiKey) headers['x-api-key'] = request.apiKey;
  const timeoutMs = request.timeoutMs ?? 15_000;
  let reply: RawHttpReply;
  try {
    // Node's client on a keep-alive pool (the kit's sendHttp): the load generator makes two calls per order.
    reply = await sendHttp(new URL(`${base}${path}`), method, headers, request.body === undefined ? undefined : JSON.stringify(request.body), timeoutMs);
  } catch (error) {
    const why = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(error);
    throw new Unreachable(`cannot reach the gateway at ${base} (${why}): is the system running? (\`tributary start\` or \`npm start\`; or pass --gateway / set TRIBUTARY_URL)`);
  }
  let body: unknown = null;
  if (reply.text) {
    try {
      body = JSON.parse(reply.text);
    } catch {
      body = reply.text;
    }
  }
  return { status: reply.status, body: body as T, headers: answerHeaders(reply.headers) };
}

function answerHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const one of value) headers.append(name, one);
  }
  return headers;
}

/** The gateway's error text (`{error, message}`), or the status alone. */
export function errorText(answer: ApiAnswer<unknown>): string {
  const body = answer.body as { error?: unknown; message?: unknown } | null;
  if (body && typeof body === 'object' && typeof body.message === 'string') {
    return `${answer.status} ${typeof body.error === 'string' ? `${body.error}: ` : ''}${body.message}`;
  }
  return `${answer.status}${typeof answer.body === 'string' && answer.body ? ` ${answer.body.slice(0, 200)}` : ''}`;
}

/** A non-2xx answer as the CliError to throw: an admin key problem names the ways to give one. */
export function failure(what: string, answer: ApiAnswer<unknown>): CliError {
  if (answer.status === 401 || answer.status === 403) {
    return new CliError(`${what}: ${errorText(answer)} (give the admin key with --api-key or ADMIN_API_KEY; a local \`npm start\` keeps it in .data/${ADMIN_KEY_FILE})`);
  }
  // A 400 is the gateway refusing what the user typed (an unknown stream, a bad id).
  return new CliError(`${what}: ${errorText(answer)}`, answer.status === 400 ? EXIT.usage : EXIT.failed);
}

/** GET and expect 200. */
export async function getJson<T>(base: string, path: string, what: string, apiKey: string | null = null): Promise<T> {
  const answer = await callGateway<T>(base, 'GET', path, { apiKey });
  if (answer.status !== 200) throw failure(what, answer);
  return answer.body;
}

/** A commander parser for a positive number (a bad value is a usage error, exit 2). */
export function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number');
  return number;
}
