import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build -w @tributary/dashboard` (run by `npm start` and `npm test`) puts the app. */
export const DASHBOARD_DIST = resolve(import.meta.dirname, '..', '..', '..', '..', 'apps', 'dashboard', 'dist');

export interface DashboardOptions {
  /** The built app; defaults to apps/dashboard/dist in this repository. */
  dist?: string;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tributary dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The dashboard is not built</h1>
<p>The gateway serves the operator's dashboard from <code>apps/dashboard/dist</code>, which does not exist.
Build it with <code>npm run build -w @tributary/dashboard</code> (<code>npm start</code> does it for you),
then restart the gateway.</p>
<p>The API is up all the same: <a href="/docs">/docs</a>, <a href="/metrics">/metrics</a>.</p>
</body></html>`;

/** A browser navigating (Accept: text/html), not a client asking an API for JSON. */
function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/**
 * The dashboard as static files at `/`: hashed assets under /assets/ (cached
 * for good, their names change with their content), and index.html for `/`
 * and for any other page a browser asks for (SPA fallback; the app routes on
 * the URL's fragment, so deep links land on index.html). /api, /docs,
 * /metrics and the other routes are more specific, so they win; an unknown
 * /api path or a non-HTML request still gets the JSON 404.
 *
 * Whether `dist` exists is decided when the gateway starts: a build made
 * later is served after a restart (npm start builds before starting).
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const dist = options.dist ?? DASHBOARD_DIST;
  const built = existsSync(join(dist, 'index.html'));
  const hidden = { schema: { hide: true } };

  if (!built) {
    app.get('/', hidden, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT));
    return;
  }

  await app.register(fastifyStatic, {
    root: join(dist, 'assets'),
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
  });
  const sendIndex = (reply: FastifyReply) =>
    // index.html names the current hashed assets: never cached, so a rebuild shows at once.
    reply.header('cache-control', 'no-cache').sendFile('index.html', dist, { cacheControl: false });

  app.get('/', hidden, async (_request, reply) => sendIndex(reply));
  app.get('/*', hidden, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!wantsHtml(request) || path.startsWith('/api/') || path === '/api' || path.startsWith('/assets/')) return reply.callNotFound();
    return sendIndex(reply);
  });
};
