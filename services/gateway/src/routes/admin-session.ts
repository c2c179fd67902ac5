import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'tributary';
import { ADMIN_COOKIE, adminKeyMatcher, type AdminTokens } from '../admin.ts';
import { errors } from './context.ts';
import { gatewayError } from '../errors.ts';

export interface AdminSessionOptions {
  adminApiKey: string | null;
  tokens: AdminTokens;
  ttlSeconds: number;
  secureCookie: boolean;
}

const AdminSessionState = Type.Object({
  /** False when the gateway has no ADMIN_API_KEY (the local default): everything is open. */
  adminKeyRequired: Type.Boolean(),
  signedIn: Type.Boolean(),
});
const AdminSignIn = Type.Object({ apiKey: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });

/**
 * The dashboard's operator sign-in: the admin key is checked once and
 * exchanged for an httpOnly, SameSite=Strict cookie, because the browser's
 * EventSource (the live views) cannot send an x-api-key header. Scripts keep
 * sending the key itself.
 */
export const adminSessionRoutes: FastifyPluginAsyncTypebox<AdminSessionOptions> = async (app, { adminApiKey, tokens, ttlSeconds, secureCookie }) => {
  const matches = adminKeyMatcher(adminApiKey);
  const cookie = { httpOnly: true, sameSite: 'strict' as const, secure: secureCookie, path: '/' };
  const signedIn = async (token: string | undefined) => adminApiKey === null || (token !== undefined && (await tokens.valid(token)));

  app.get(
    '/api/admin/session',
    { schema: { tags: ['admin'], summary: 'Whether operator views need the admin key, and whether this browser is signed in', response: { 200: AdminSessionState, ...errors() } } },
    async (request) => ({ adminKeyRequired: adminApiKey !== null, signedIn: await signedIn(request.cookies[ADMIN_COOKIE]) }),
  );
  app.post(
    '/api/admin/session',
    {
      schema: {
        tags: ['admin'],
        summary: 'Sign in as operator with the admin key: sets an httpOnly cookie that the dashboard and its live views use',
        body: AdminSignIn,
        response: { 200: AdminSessionState, ...errors(400, 403) },
      },
    },
    async (request, reply) => {
      if (adminApiKey === null) return { adminKeyRequired: false, signedIn: true };
      if (!matches(request.body.apiKey)) throw gatewayError('ADMIN_KEY_INVALID', 'the admin key is not valid');
      reply.setCookie(ADMIN_COOKIE, await tokens.issue(), { ...cookie, maxAge: ttlSeconds });
      return { adminKeyRequired: true, signedIn: true };
    },
  );
  app.delete(
    '/api/admin/session',
    { schema: { tags: ['admin'], summary: 'Sign out as operator', response: { 200: AdminSessionState, ...errors() } } },
    async (request, reply) => {
      const token = request.cookies[ADMIN_COOKIE];
      if (token) await tokens.revoke(token);
      reply.clearCookie(ADMIN_COOKIE, cookie);
      return { adminKeyRequired: adminApiKey !== null, signedIn: adminApiKey === null };
    },
  );
};
