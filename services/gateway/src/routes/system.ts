import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { countDeadLetters, groupsOf, isNoSuchKey, parseInfo, redactUrl, replyMap, replyMaps, type RedisClient, type Static } from 'tributary';
import { BUS_ANSWER_TIMEOUT_MS, onBus } from '../bus-guard.ts';
import { errors } from './context.ts';
import { fetchJson, type OpsContext } from './ops-context.ts';
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
  // A dead instance's port taken by another process (another service, another system) is not this service up.
  const answeredAs = text(body.service);
  if (answeredAs !== null && answeredAs !== name) {
    return { name, url, up: false, version: null, instance: null, pid: null, startedAt: null, uptimeSeconds: null, rssBytes: null, heapUsedBytes: null, error: `its port answers as ${answeredAs}` };
  }
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

/**
 * A Redis server the gateway uses, as a row beside the services: up when its
 * client is connected and PING answers in time. The server's own version and
 * uptime come from INFO, so the operator sees a restart.
 */
async function redisHealth(name: string, client: RedisClient): Promise<Health> {
  const url = redactUrl(String(client.options?.url ?? 'redis'));
  try {
    const info = parseInfo(await onBus(client, () => client.info()));
    const field = (key: string) => info[key] ?? null;
    const uptime = Number(field('uptime_in_seconds'));
    const pid = Number(field('process_id'));
    return {
      name, url, up: true, version: field('redis_version'), instance: null,
      pid: Number.isInteger(pid) ? pid : null,
      startedAt: Number.isFinite(uptime) ? new Date(Date.now() - uptime * 1000).toISOString() : null,
      uptimeSeconds: Number.isFinite(uptime) ? uptime : null,
      // Redis's own accounting: resident memory, and the memory its data uses in place of a heap.
      rssBytes: Number(field('used_memory_rss')) || null,
      heapUsedBytes: Number(field('used_memory')) || null,
      error: null,
    };
  } catch {
    return { name, url, up: false, version: null, instance: null, pid: null, startedAt: null, uptimeSeconds: null, rssBytes: null, heapUsedBytes: null, error: client.isReady ? `no answer within ${BUS_ANSWER_TIMEOUT_MS} ms` : 'not connected' };
  }
}

/** XINFO STREAM, XINFO GROUPS and XINFO CONSUMERS of one stream: what an operator reads off redis-cli, in one object. */
async function streamState(bus: RedisClient, stream: string) {
  const [info, groups, deadLetters] = await Promise.all([
    bus.sendCommand(['XINFO', 'STREAM', stream]).then(replyMap, (error: unknown) => {
      if (isNoSuchKey(error)) return null;
      throw error;
    }),
    groupsOf(bus, stream),
    countDeadLetters(bus, stream),
  ]);
  const withConsumers = await Promise.all(
    groups.map(async (group) => {
      const consumers = replyMaps(await bus.sendCommand(['XINFO', 'CONSUMERS', stream, group.name]));
      return {
        name: group.name,
        lag: group.lag,
        pending: group.pending,
        lastDeliveredId: group.lastDeliveredId,
        consumers: consumers.map((consumer) => ({
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
export const systemRoutes: FastifyPluginAsyncTypebox<OpsContext> = async (app, { bus, store, services, streams }) => {
  app.get(
    '/api/system/services',
    {
      schema: {
        tags: ['system'],
        summary: `Every service (up or down by its /healthz within ${HEALTH_TIMEOUT_MS} ms: version, instance, pid, uptime), then the bus and store Redis servers`,
        response: { 200: ServiceList, ...errors() },
      },
    },
    async () => {
      // The gateway asks itself the same way, so its row has the same shape and source.
      const self = await app.inject({ method: 'GET', url: '/healthz' });
      const own = health('gateway', 'self', self.statusCode === 200 ? { ok: true, body: self.json() } : { ok: false, error: `HTTP ${self.statusCode}` });
      const [rows, servers] = await Promise.all([
        Promise.all(services.map(async ({ name, url }) => health(name, url, await fetchJson(`${url}/healthz`, HEALTH_TIMEOUT_MS)))),
        Promise.all([redisHealth('bus-redis', bus), redisHealth('store-redis', store)]),
      ]);
      return { services: [own, ...rows, ...servers] };
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
      return { at, streams: await onBus(bus, () => Promise.all(streams.map((stream) => streamState(bus, stream)))) };
    },
  );
};
