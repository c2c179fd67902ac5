import { afterEach } from 'vitest';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { freePort } from 'tributary/testing';

/**
 * Real small services for the operator routes: the kit's own HTTP app
 * (its /healthz, /metrics and /traces, exactly what every service serves),
 * listening on a port, closed after each test.
 */
export function useUpstreams() {
  const running: HttpApp[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()));
  });
  return {
    /** Starts a kit app named `service`; `setup` adds routes before it listens. Resolves with its base URL. */
    async start(service: string, setup: (app: HttpApp) => void = () => undefined): Promise<{ app: HttpApp; url: string }> {
      const app = createHttpApp({ service });
      setup(app);
      running.push(app);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      return { app, url };
    },
    /** A URL where nothing listens: a service that is down. */
    async down(): Promise<string> {
      return `http://127.0.0.1:${await freePort()}`;
    },
  };
}
