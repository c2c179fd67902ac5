export { createSessionStore, sessionDefaults, InvalidSessionDataError, type Session, type SessionStore, type SessionStoreOptions } from './store.ts';
export { createSessionPlugin, type SessionPlugin, type SessionPluginOptions, type SessionCookieOptions } from './fastify.ts';
export { newSessionId, isSessionId } from './id.ts';
