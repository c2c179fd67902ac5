import { REDIS_ACCESS, STREAMS } from '../../apps/launcher/src/acl.ts';
import { SQL_SERVICES } from '../../apps/launcher/src/database-roles.ts';
import { SERVICES, type ServiceName } from '../../apps/launcher/src/services.ts';

/**
 * What the manifests say about each service, in one table: the launcher's
 * tables (services, Redis access, SQL services) decide who connects to what,
 * docs/benchmarks.md decides the sizes. generate.ts writes the YAML from it;
 * k8s.test.ts checks the rendered YAML against it and against the code.
 */

export { SERVICES, SQL_SERVICES, type ServiceName };

/** Every service listens here inside its pod (PORT); the Service exposes the same port. */
export const SERVICE_PORT = 8080;

/**
 * The services that open a store Redis connection (connectServiceRedis in
 * their main.ts); the others keep nothing on the store and never read
 * STORE_REDIS_URL.
 */
export const STORE_SERVICES: readonly ServiceName[] = ['basket', 'catalog', 'delivery', 'fulfillment', 'gateway', 'mailing', 'order-monitoring', 'shelving'];

/**
 * Streams each service reads through its own consumer group (the group is
 * named after the service): what the launcher's ACL table grants, plus the
 * service's own streams it consumes itself (catalog's search index follows
 * catalog:events, lending decides lending:requests).
 */
export function consumedStreams(service: ServiceName): string[] {
  const own: Partial<Record<ServiceName, string[]>> = { catalog: ['catalog:events'], lending: ['lending:requests'] };
  return [...REDIS_ACCESS[service].consumes, ...(own[service] ?? [])];
}

/** Consumer services scale on lag (KEDA); the gateway consumes nothing and scales on CPU (HPA). */
export const consumerServices = (): ServiceName[] => SERVICES.filter((service) => consumedStreams(service).length > 0);

export { STREAMS };

export interface Sizing {
  /** millicores asked for: a share of the measured CPU ms per order at the design rate (see deploy/README.md). */
  cpuRequest: string;
  memoryRequest: string;
  memoryLimit: string;
}

/**
 * From docs/benchmarks.md. Memory: a service without PGlite is 72-89 MB RSS
 * after start; delivery grew to 305 MB and the gateway to 179 MB under load;
 * requests sit above the steady figure, limits at about twice the highest
 * one seen. CPU: ordering (3.8 ms/order on PostgreSQL) and the gateway (2.3)
 * ask for more than the services near 1 ms/order. A Node process runs its
 * JavaScript on one core, so the CPU limit is one core: more would only
 * feed the garbage collector and libuv's threads, and a throttled pod is
 * what the HPA and KEDA should see, not a pod borrowing a second core.
 */
export const SIZING: Record<ServiceName, Sizing> = {
  accounts: { cpuRequest: '150m', memoryRequest: '160Mi', memoryLimit: '512Mi' },
  catalog: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  ordering: { cpuRequest: '400m', memoryRequest: '160Mi', memoryLimit: '512Mi' },
  fulfillment: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  'order-monitoring': { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  basket: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  mailing: { cpuRequest: '150m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  package: { cpuRequest: '150m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  delivery: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '640Mi' },
  'drone-sim': { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  'delivery-history': { cpuRequest: '200m', memoryRequest: '256Mi', memoryLimit: '768Mi' },
  shelving: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  lending: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
  gateway: { cpuRequest: '300m', memoryRequest: '192Mi', memoryLimit: '512Mi' },
};

/** KEDA: one more instance per this many entries of a consumed stream not yet delivered to the group (deploy/README.md). */
export const LAG_PER_INSTANCE = 100;
/** KEDA and the HPA never go past this many instances of one service. */
export const MAX_REPLICAS = 10;
/** The gateway's HPA target: average CPU over its requests. */
export const GATEWAY_CPU_TARGET_PERCENT = 70;

/**
 * How long a pod has between SIGTERM and SIGKILL. runService gives close()
 * 15 s (its shutdownTimeoutMs) and a consumer's drain is at most 10 s of it
 * (the consumer's shutdownTimeoutMs); 30 s leaves the endpoints time to
 * drop the pod (preStop) on top of both.
 */
export const TERMINATION_GRACE_SECONDS = 30;
/** The preStop pause: long enough for kube-proxy and the gateway's keep-alive pool to stop sending here. */
export const PRE_STOP_SECONDS = 5;

/** Where delivery-history writes its Parquet lake (a shared volume: batch files are uuid-named, so instances never collide). */
export const LAKE_DIR = '/var/lib/tributary/lake';

/** `ordering` → `ORDERING`, as readServiceConfig spells prefixes. */
export const envPrefix = (service: string) => service.toUpperCase().replace(/-/g, '_');

/** The Secret holding one service's connection URLs: its own Redis users and PostgreSQL role. */
export const connectionSecret = (service: ServiceName) => `tributary-${service}-connections`;
/** Keys shared by every service (INTERNAL_API_KEY) and the gateway's own (ADMIN_API_KEY, SESSION_COOKIE_SECRET). */
export const SHARED_SECRET = 'tributary-shared';
export const GATEWAY_SECRET = 'tributary-gateway-keys';
/** KEDA's own read-only user on the bus Redis (TriggerAuthentication). */
export const KEDA_SECRET = 'tributary-keda';
/** Local overlay only: the passwords the private servers are given. */
export const REDIS_USERS_SECRET = (role: 'bus' | 'store') => `tributary-redis-${role}-users`;
export const POSTGRES_SECRET = 'tributary-postgres';
/** The ConfigMap every service reads its shared settings from. */
export const CONFIG_MAP = 'tributary-config';
/** The user KEDA's scaler logs in as on the bus. */
export const KEDA_USER = 'keda';
/** The operator's user on the private servers (the launcher's admin user, under another name). */
export const OPERATOR_USER = 'operator';

/** Which Secret keys each service's Secret holds. */
export function connectionKeys(service: ServiceName): string[] {
  return ['BUS_REDIS_URL', ...(STORE_SERVICES.includes(service) ? ['STORE_REDIS_URL'] : []), ...(SQL_SERVICES.includes(service) ? ['DATABASE_URL'] : [])];
}
