import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { countDeadLetters, groupsOf, type RedisClient, type Static } from 'tributary';
import { errors } from './context.ts';
import { fetchJson, onBus, pairs, type OpsContext } from './ops-context.ts';
import { ServiceList, StreamList } from './schemas.ts';

/** A service that does not answer /healthz within this is shown down: the page must not hang on one. */
const HEALTH_TIMEOUT_MS = 1_500;

type Health = Static<typeof ServiceList>['services'][number];

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const integer = (value: unknown): number | null => (Number.isInteger(value) ? (value as number) : null);

/** A service's /healthz answer (the kit's shape) as a row of the list. */
function health(name: string, url: string, answer: Awaited<ReturnType<typeof fetchJson>>): Health {
  if (!answer.ok) return { name, url, up: false, version: null, instance: null, pid: null, startedAt: null, uptimeSeconds: null, rssBytes: null, heapUsedBytes: null, error: answer.error };
  const body = (answer.body ?? {}) as Record<string, unknown>;
  const pid = integer(body.pid);
  return {
    name,
    url,
    up: true,
    version: text(body.version),
    instance: text(body.instance),
    pid,
    startedAt: text(body.startedAt),
    uptimeSeconds: number(body.uptimeSeconds),
    rssBytes: integer(body.rssBytes),
    heapUsedBytes: integer(body.heapUsedBytes),
    error: null,
  };
}

const isNoSuchKey = (error: unknown) => /no such key/i.test(String((error as Error)?.message));

/** XINFO STREAM, XINFO GROUPS and XINFO CONSUMERS of one stream: what an operator reads off redis-cli, in one object. */
async function streamState(bus: RedisClient, stream: string) {
  const [info, groups, deadLetters] = await Promise.all([
    bus.sendCommand<unknown[]>(['XINFO', 'STREAM', stream]).then(pairs, (error: unknown) => {
      if (isNoSuchKey(error)) return null;
      throw error;
    }),
    groupsOf(bus, stream),
    countDeadLetters(bus, stream),
  ]);
  const withConsumers = await Promise.all(
    groups.map(async (group) => {
      const consumers = await bus.sendCommand<unknown[]>(['XINFO', 'CONSUMERS', stream, group.name]);
      return {
        name: group.name,
        lag: group.lag,
        pending: group.pending,
        lastDeliveredId: group.lastDeliveredId,
        consumers: consumers.map(pairs).map((consumer) => ({
          name: String(consumer.get('name')),
          pending: Number(consumer.get('pending') ?? 0),
          idleMs: Number(consumer.get('idle') ?? 0),
        })),
      };
    }),
  );
  return {
    stream,
    length: Number(info?.get('length') ?? 0),
    entriesAdded: Number(info?.get('entries-added') ?? 0),
    lastId: info ? String(info.get('last-generated-id')) : null,
    deadLetters,
    groups: withConsumers,
  };
}

/** What is running and how the streams are doing: the dashboard's overview, polled. */
export const systemRoutes: FastifyPluginAsyncTypebox<OpsContext> = async (app, { bus, services, streams }) => {
  app.get(
    '/api/system/services',
    {
      schema: {
        tags: ['system'],
        summary: `Every service: up or down (its /healthz within ${HEALTH_TIMEOUT_MS} ms), version, instance, pid, uptime`,
        response: { 200: ServiceList, ...errors() },
      },
    },
    async () => {
      // The gateway asks itself the same way, so its row has the same shape and source.
      const self = await app.inject({ method: 'GET', url: '/healthz' });
      const own = health('gateway', 'self', self.statusCode === 200 ? { ok: true, body: self.json() } : { ok: false, error: `HTTP ${self.statusCode}` });
      const rows = await Promise.all(services.map(async ({ name, url }) => health(name, url, await fetchJson(`${url}/healthz`, HEALTH_TIMEOUT_MS))));
      return { services: [own, ...rows] };
    },
  );

  app.get(
    '/api/system/streams',
    {
      schema: {
        tags: ['system'],
        summary: 'Every stream in the contracts: length, entries ever added, dead letters, and per group lag, pending and consumers',
        response: { 200: StreamList, ...errors() },
      },
    },
    async () => {
      const at = new Date().toISOString();
      return { at, streams: await onBus(() => Promise.all(streams.map((stream) => streamState(bus, stream)))) };
    },
  );
};
