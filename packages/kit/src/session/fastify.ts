import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, httpError } from '../http/errors.ts';
import { InvalidSessionDataError, type Session, type SessionStore } from './store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's live session, or null. Its data is typed `unknown` here
     * because one process may run several session plugins; read it typed
     * through the plugin handle's `current(request)`.
     */
    session: Session<unknown> | null;
  }
}

export interface SessionCookieOptions {
  /** Default `sid`. */
  name?: string;
  /** Send the cookie over HTTPS only. Default true; turn off only for plain-HTTP development. */
  secure?: boolean;
  path?: string;
  domain?: string;
  /**
   * Sign the cookie (HMAC, @fastify/cookie's signer; give several to rotate,
   * newest first). The id is already unguessable, so this is defence in
   * depth: a tampered cookie is rejected before Redis is asked.
   */
  secret?: string | string[];
}

export interface SessionPluginOptions<Data> {
  store: SessionStore<Data>;
  cookie?: SessionCookieOptions;
}

export interface SessionPlugin<Data> {
  /** Register at the root: decorates `request.session` and loads it in onRequest. */
  readonly plugin: FastifyPluginAsync;
  /** The request's session with its data typed by the store's schema. */
  current(request: FastifyRequest): Session<Data> | null;
  /** Signs in: replaces any current session (a fresh id defeats session fixation) and sets the cookie. */
  start(request: FastifyRequest, reply: FastifyReply, data: Data): Promise<Session<Data>>;
  /** Signs out: destroys the session, if any, and clears the cookie. */
  end(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/**
 * Cookie sessions on a `SessionStore`: HttpOnly (no script can read the id),
 * SameSite=Lax (no cross-site POST carries it), Secure unless turned off,
 * Max-Age renewed on each use to follow the sliding expiry. A cookie that is
 * malformed, badly signed, unknown or expired means no session, never an error;
 * a store that cannot be reached means 503 SESSION_STORE_UNAVAILABLE.
 */
export function createSessionPlugin<Data>(options: SessionPluginOptions<Data>): SessionPlugin<Data> {
  const { store } = options;
  const name = options.cookie?.name ?? 'sid';
  const secrets = options.cookie?.secret;
  const signer = secrets === undefined ? null : new fastifyCookie.Signer(secrets, 'sha256');
  const attributes = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: options.cookie?.secure ?? true,
    path: options.cookie?.path ?? '/',
    ...(options.cookie?.domain ? { domain: options.cookie.domain } : {}),
  };

  const idFromCookie = (value: string | undefined): string | null => {
    if (!value) return null;
    if (!signer) return value;
    const unsigned = signer.unsign(value);
    return unsigned.valid ? unsigned.value : null;
  };
  const setCookie = (reply: FastifyReply, id: string) =>
    reply.setCookie(name, signer ? signer.sign(id) : id, { ...attributes, maxAge: store.ttlSeconds });
  const storeCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof HttpError || error instanceof InvalidSessionDataError) throw error;
      throw httpError('SESSION_STORE_UNAVAILABLE', 'sessions are unavailable, try again');
    }
  };

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    if (!app.hasReplyDecorator('setCookie')) await app.register(fastifyCookie);
    app.decorateRequest('session', null);
    app.addHook('onRequest', async (request, reply) => {
      const header = request.headers.cookie;
      if (!header) return;
      const id = idFromCookie(app.parseCookie(header)[name]);
      if (!id) return;
      const session = await storeCall(() => store.get(id));
      request.session = session;
      if (session) setCookie(reply, session.id);
    });
  };
  // Fastify's documented escape from encapsulation (what fastify-plugin sets):
  // the decorator and the hook must reach every route of the app.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'tributary-session' });

  return {
    plugin,
    current: (request) => request.session as Session<Data> | null,
    async start(request, reply, data) {
      const previous = request.session;
      if (previous) await storeCall(() => store.destroy(previous.id));
      const session = await storeCall(() => store.create(data));
      request.session = session;
      setCookie(reply, session.id);
      return session;
    },
    async end(request, reply) {
      const current = request.session;
      if (current) await storeCall(() => store.destroy(current.id));
      request.session = null;
      reply.clearCookie(name, attributes);
    },
  };
}
