import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@redis/client';
import { createHttpApp } from 'tributary/http';
import { readServiceConfig } from 'tributary/service';
import { startRedisServer, type RedisServer } from 'tributary/testing';
import { readDeliverySettings } from '../../services/delivery/src/settings.ts';
import { readHistoryConfig } from '../../services/delivery-history/src/config.ts';
import { readDroneSimConfig } from '../../services/drone-sim/src/config.ts';
import { settingsFromEnv } from '../../services/gateway/src/settings.ts';
import { upstreamsFromEnv } from '../../services/gateway/src/upstream.ts';
import { readLendingSettings } from '../../services/lending/src/settings.ts';
import { readWarehouse } from '../../services/package/src/config.ts';
import { aclRules, postgresInitScript, redisUsersOf, staleFiles } from './generate.ts';
import { localSecrets, managedSecrets } from './make-secrets.ts';
import {
  CONFIG_MAP, connectionKeys, connectionSecret, consumedStreams, consumerServices, envPrefix, LAKE_DIR, SERVICE_PORT, SERVICES, SQL_SERVICES, STORE_SERVICES,
  TERMINATION_GRACE_SECONDS, type ServiceName,
} from './model.ts';
import { render, renderSubset, renderWithKubectl, type K8sObject } from './render.ts';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '..', '..');
const OVERLAYS = ['local', 'managed'] as const;

type Container = {
  name: string;
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string }; configMapKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
};
type PodSpec = { containers: Container[]; initContainers?: Container[]; enableServiceLinks?: boolean; terminationGracePeriodSeconds?: number; volumes?: Array<{ name: string }> };

const rendered = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, render(join(HERE, 'overlays', overlay))])) as Record<(typeof OVERLAYS)[number], ReturnType<typeof render>>;
const find = (objects: K8sObject[], kind: string, name: string) => objects.find((item) => item.kind === kind && item.metadata.name === name);
const podSpec = (workload: K8sObject) => (workload.spec as { template: { spec: PodSpec } }).template.spec;
const secretsOf = (list: Array<{ metadata: { name: string }; stringData: Record<string, string> }>) => new Map(list.map((item) => [item.metadata.name, item.stringData]));

/** The schema class of an object's apiVersion and kind, from kubernetes-models or its KEDA models. */
async function modelOf(object: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const module = (group === 'keda.sh' ? await import(`@kubernetes-models/keda/keda.sh/${version}`) : await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`)) as Record<string, unknown>;
  const model = module[object.kind];
  if (typeof model !== 'function') throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  return model as new (data: unknown) => { validate(): void };
}

/**
 * A container's environment as the kubelet would give it: the ConfigMap's
 * keys, then `env` (secrets from the given Secrets, the pod's name for
 * fieldRefs). Fails on a reference to a Secret or key nobody makes.
 */
function environment(container: Container, objects: K8sObject[], secrets: Map<string, Record<string, string>>, podName: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const source of container.envFrom ?? []) {
    if (source.secretRef) throw new Error(`${container.name}: envFrom a Secret hides which keys it reads; name each`);
    const map = find(objects, 'ConfigMap', source.configMapRef?.name ?? '');
    if (!map) throw new Error(`${container.name}: no ConfigMap ${source.configMapRef?.name}`);
    Object.assign(env, map.data as Record<string, string>);
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (entry.valueFrom?.secretKeyRef) {
      const { name, key } = entry.valueFrom.secretKeyRef;
      const value = secrets.get(name)?.[key];
      if (value === undefined) throw new Error(`${container.name}: ${entry.name} refers to ${name}/${key}, which make-secrets.ts does not make`);
      env[entry.name] = value;
    } else if (entry.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[entry.name] = podName;
    else throw new Error(`${container.name}: ${entry.name} has a source this test does not resolve`);
  }
  return env;
}

describe('deploy/k8s', () => {
  it('is what generate.ts writes from the launcher\'s tables', () => {
    expect(staleFiles()).toEqual([]);
  });

  it.each(OVERLAYS)('%s: the subset renderer agrees with kubectl kustomize (when kubectl is installed)', (overlay) => {
    const dir = join(HERE, 'overlays', overlay);
    const subset = renderSubset(dir);
    const kubectl = renderWithKubectl(dir);
    if (!kubectl) return;
    const key = (item: K8sObject) => `${item.kind}/${item.metadata.name}`;
    const sorted = (items: K8sObject[]) => [...items].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(kubectl)).toEqual(sorted(subset));
  });

  it.each(OVERLAYS)('%s: every object is valid against the Kubernetes and KEDA schemas', async (overlay) => {
    const { objects } = rendered[overlay];
    expect(objects.length).toBeGreaterThan(40);
    for (const object of objects) {
      const Model = await modelOf(object);
      expect(() => new Model(object).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
    }
    const names = objects.map((item) => `${item.kind}/${item.metadata.name}`);
    expect(new Set(names).size, 'no object twice').toBe(names.length);
  });

  it.each(OVERLAYS)('%s: every service has a Deployment and a Service, and scales on lag (consumers) or CPU (gateway)', (overlay) => {
    const { objects } = rendered[overlay];
    for (const service of SERVICES) {
      const deployment = find(objects, 'Deployment', service);
      expect(deployment, service).toBeDefined();
      const pod = podSpec(deployment as K8sObject);
      const [container] = pod.containers;
      expect(container?.args).toEqual([service]);
      // Kubernetes' <SERVICE>_PORT=tcp://… variables would be read as ports (readServiceConfig).
      expect(pod.enableServiceLinks).toBe(false);
      // runService closes within 15 s, a consumer drains within 10 s of it.
      expect(pod.terminationGracePeriodSeconds).toBe(TERMINATION_GRACE_SECONDS);
      expect(TERMINATION_GRACE_SECONDS).toBeGreaterThan(15 + 5);

      const svc = find(objects, 'Service', service) as K8sObject;
      expect(svc, service).toBeDefined();
      const spec = svc.spec as { selector: Record<string, string>; ports: Array<{ port: number; targetPort: number }> };
      const podLabels = (deployment?.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
      for (const [label, value] of Object.entries(spec.selector)) expect(podLabels[label]).toBe(value);
      expect(spec.ports[0]?.targetPort).toBe(SERVICE_PORT);

      const scaled = find(objects, 'ScaledObject', service);
      if (consumerServices().includes(service)) {
        const triggers = (scaled?.spec as { triggers: Array<{ type: string; metadata: { stream: string; consumerGroup: string; lagCount: string } }> }).triggers;
        expect(triggers.map((trigger) => trigger.metadata.stream).sort()).toEqual(consumedStreams(service).sort());
        for (const trigger of triggers) {
          expect(trigger.type).toBe('redis-streams');
          expect(trigger.metadata.consumerGroup).toBe(service);
        }
        expect((scaled?.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).toBe(service);
      } else {
        expect(scaled).toBeUndefined();
        const hpa = find(objects, 'HorizontalPodAutoscaler', service);
        expect((hpa?.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).toBe(service);
      }
    }
    expect(consumerServices()).toHaveLength(13);
    expect(find(objects, 'TriggerAuthentication', 'tributary-keda-bus')).toBeDefined();
  });

  it('probes point at the kit\'s /healthz and /readyz, which every service serves and which need no key', async () => {
    for (const service of SERVICES) {
      // The kit's app, made directly (the gateway) or by the service shell (every other service).
      expect(readFileSync(join(ROOT, 'services', service, 'src', 'app.ts'), 'utf8'), service).toMatch(/createHttpApp\(|create(Sql)?ServiceShell\(/);
      const container = podSpec(find(rendered.local.objects, 'Deployment', service) as K8sObject).containers[0] as Container;
      expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(container.startupProbe?.httpGet?.path).toBe('/healthz');
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      const named = container.ports?.find((port) => port.name === container.readinessProbe?.httpGet?.port);
      expect(named?.containerPort).toBe(SERVICE_PORT);
    }
    const app = createHttpApp({ service: 'probe-check', internalKey: 'some-key', readiness: { check: async () => true } });
    try {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  const managedEnv = (): NodeJS.ProcessEnv => {
    // The URLs a managed provider would give: made here the way the local ones are, on other hosts.
    const local = secretsOf(localSecrets());
    const env: NodeJS.ProcessEnv = { KEDA_REDIS_ADDRESS: 'bus.redis.example:6380', KEDA_REDIS_USERNAME: 'keda', KEDA_REDIS_PASSWORD: 'k' };
    for (const service of SERVICES) {
      for (const key of connectionKeys(service)) {
        env[`${envPrefix(service)}_${key}`] = (local.get(connectionSecret(service))?.[key] ?? '').replace('redis-bus:6379', 'bus.redis.example:6380').replace('postgres:5432', 'pg.example:5432');
      }
    }
    return env;
  };

  it.each(OVERLAYS)('%s: every variable the code needs is set, from the ConfigMap or a Secret make-secrets.ts makes', (overlay) => {
    const { objects } = rendered[overlay];
    const secrets = secretsOf(overlay === 'local' ? localSecrets() : managedSecrets(managedEnv()));
    for (const service of SERVICES) {
      const pod = podSpec(find(objects, 'Deployment', service) as K8sObject);
      const container = pod.containers[0] as Container;
      const podName = `${service}-5d8f7c9b4-x2k7q`;
      const env = environment(container, objects, secrets, podName);
      const config = readServiceConfig(service, env);
      expect(config.port).toBe(SERVICE_PORT);
      expect(config.host).toBe('0.0.0.0');
      expect(config.instance).toBe(podName);
      expect(env.INTERNAL_API_KEY, `${service} INTERNAL_API_KEY`).toBeTruthy();
      // Each its own user: never a shared or an anonymous connection.
      expect(decodeURIComponent(new URL(config.busRedisUrl).username)).toBe(service);
      if (STORE_SERVICES.includes(service)) {
        expect(env.STORE_REDIS_URL, `${service} STORE_REDIS_URL`).toBeDefined();
        expect(config.storeRedisUrl).not.toBe(config.busRedisUrl);
        expect(new URL(config.storeRedisUrl).username).toBe(service);
      }
      if (SQL_SERVICES.includes(service)) {
        expect(config.databaseUrl, `${service} must not fall back to PGlite`).toMatch(/^postgres:\/\//);
        expect(new URL(config.databaseUrl).username).toBe(`tributary_${service.replace(/-/g, '_')}`);
      }
      // Each service's own readers, as its main.ts calls them.
      const readers: Partial<Record<ServiceName, () => unknown>> = {
        gateway: () => {
          expect(settingsFromEnv(env).adminApiKey).toBeTruthy();
          expect(settingsFromEnv(env).session.secret).toBeTruthy();
          return upstreamsFromEnv(env);
        },
        lending: () => readLendingSettings(env),
        delivery: () => readDeliverySettings(env),
        'drone-sim': () => expect(readDroneSimConfig(env).idPrefix).toBe(podName),
        package: () => readWarehouse(env),
        'delivery-history': () => {
          expect(readHistoryConfig(env).lakeDir).toBe(LAKE_DIR);
          expect(container.volumeMounts?.some((mount) => mount.mountPath === LAKE_DIR)).toBe(true);
          expect(find(objects, 'PersistentVolumeClaim', 'delivery-history-lake')).toBeDefined();
        },
        ordering: () => {
          expect(env.ACCOUNTS_URL).toBe(`http://accounts:${SERVICE_PORT}`);
          expect(env.CATALOG_URL).toBe(`http://catalog:${SERVICE_PORT}`);
        },
      };
      expect(() => readers[service]?.(), service).not.toThrow();
    }
    // Every <NAME>_URL points at a Service that exists.
    const data = find(objects, 'ConfigMap', CONFIG_MAP)?.data as Record<string, string>;
    for (const service of SERVICES) expect(find(objects, 'Service', new URL(data[`${envPrefix(service)}_URL`] as string).hostname)).toBeDefined();
  });

  it('every variable the code mentions is set by the manifests or has a default on purpose', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return sources(path);
        return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
      });
    // How the code spells a variable: env.X, env['X'], helper(env, 'X'), need('X'), { X: x } = process.env, X_ENV = 'X'.
    const patterns = [/env\.([A-Z][A-Z0-9_]+)/g, /env\[['"`]([A-Z][A-Z0-9_]+)['"`]\]/g, /\(env, '([A-Z][A-Z0-9_]+)'/g, /(?:need|text|pick)\('([A-Z][A-Z0-9_]+)'\)/g, /env: '([A-Z][A-Z0-9_]+)'/g, /_ENV = '([A-Z][A-Z0-9_]+)'/g];
    const mentioned = (dir: string) => {
      const names = new Set<string>();
      for (const file of sources(dir)) {
        const text = readFileSync(file, 'utf8');
        for (const pattern of patterns) for (const match of text.matchAll(pattern)) names.add(match[1] as string);
        for (const match of text.matchAll(/\{([^}]*)\} = process\.env/g)) for (const part of (match[1] as string).matchAll(/([A-Z][A-Z0-9_]+)\s*:/g)) names.add(part[1] as string);
      }
      return names;
    };
    // Left to their defaults in a cluster; each is a row of the main README's Configuration or Service settings table, or test-only.
    const defaults = new Set([
      'LOG_LEVEL', 'STREAM_RETENTION_MS', 'TRIBUTARY_TRACING', 'TRIBUTARY_TRACE_BUFFER', 'TRIBUTARY_TRACE_SAMPLE_RATIO', 'TRIBUTARY_TRACE_MAX_PER_SECOND', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'BASKET_TTL_SECONDS', 'ARCHIVE_INTERVAL_MS', 'DELIVERY_ARCHIVE_DAYS', 'LAKE_BATCH_SIZE', 'LAKE_FLUSH_INTERVAL_MS',
      'DELIVERY_DRONE_WAIT_TIMEOUT_MS', 'DELIVERY_RETENTION_SECONDS', 'DELIVERY_SILENCE_TIMEOUT_MS', 'DELIVERY_WATCHDOG_BATCH', 'DELIVERY_WATCHDOG_INTERVAL_MS',
      'DRONE_FAILURE_RATE', 'DRONE_FLEET_SIZE', 'DRONE_QUEUE_PER_DRONE', 'DRONE_SEED', 'DRONE_SEEN_LIMIT', 'DRONE_SPEED_MPS', 'DRONE_TICK_MS', 'DRONE_TIME_SCALE',
      'IDEMPOTENCY_TTL_SECONDS', 'LOGIN_RATE_LIMIT_PER_MINUTE', 'RATE_LIMIT_BURST', 'RATE_LIMIT_PER_SECOND', 'SESSION_COOKIE_SECURE', 'SESSION_TTL_SECONDS', 'TIMELINE_SCAN_LIMIT',
      'LENDING_CLAIM_IDLE_MS', 'LENDING_MAX_BOOKS_PER_USER', 'LENDING_OUTCOME_TTL_SECONDS', 'LENDING_SHELVING_ATTEMPTS', 'LENDING_SHELVING_BACKOFF_MS', 'LENDING_SHELVING_TIMEOUT_MS', 'LENDING_STORAGE_CAPACITY',
      'WAREHOUSE_LAT', 'WAREHOUSE_LON',
      // Retention and stuck work (docs/operations.md).
      'HANDLED_MARKER_RETENTION_MS', 'IDEMPOTENCY_KEY_RETENTION_MS', 'ORDER_STUCK_AFTER_MS', 'LENDING_RELEASE_AFTER_MS',
      // Open mode is asked for by name; the cluster runs with the admin key.
      'TRIBUTARY_AUTH',
      // One region unless a second is set up (docs/kit/activeactive.md).
      'ORDER_MONITORING_REGION', 'ORDER_MONITORING_PEERS', 'CATALOG_REGION', 'CATALOG_PEERS', 'CATALOG_REGION_REDIS_URL',
      // The gateway's list of a service's instances (`<NAME>_URLS`, set by `npm start --scale`); in a cluster
      // `<NAME>_URL` is the Service's address, which spreads calls itself. The gateway reads all of them by name.
      ...['ACCOUNTS', 'CATALOG', 'ORDERING', 'FULFILLMENT', 'ORDER_MONITORING', 'BASKET', 'MAILING', 'PACKAGE', 'DELIVERY', 'DELIVERY_HISTORY', 'LENDING', 'DRONE_SIM', 'SHELVING'].map((name) => `${name}_URLS`),
      // Set by `npm start`'s service host for each service thread; in a pod a service is a process that logs to stdout.
      'TRIBUTARY_LOG_FD',
      // TLS for a rediss:// bus or store (docs/redis-deployments.md, "TLS"): files mounted by the operator; a managed Redis
      // with a public CA needs none of them. Built from parts by redis/tls.ts, so listed here by hand.
      ...['', 'BUS_', 'STORE_'].flatMap((role) => ['CA_FILE', 'CERT_FILE', 'KEY_FILE', 'SERVERNAME'].map((item) => `${role}REDIS_TLS_${item}`)),
      // The Sentinels' own credentials for a redis+sentinel:// URL (docs/redis-deployments.md); the cluster's Redis is no Sentinel's.
      ...['', 'BUS_', 'STORE_'].flatMap((role) => ['USERNAME', 'PASSWORD'].map((item) => `${role}REDIS_SENTINEL_${item}`)),
      // Off unless the operator runs the bus with replicas (docs/redis-deployments.md).
      'BUS_REDIS_WAIT_REPLICAS', 'BUS_REDIS_WAIT_TIMEOUT_MS',
      // The password in a file read at every connection (`tributary keys rotate`, docs/least-privilege.md); in a cluster
      // the Secret's URL carries it, or mount the Secret as a volume and point these at it to rotate without a restart.
      'BUS_REDIS_PASSWORD_FILE', 'STORE_REDIS_PASSWORD_FILE',
      // Tests only.
      'TEST_DATABASE_URL', 'TRIBUTARY_TEST_HOOKS', 'LENDING_TEST_CRASH_AT', 'TRIBUTARY_TEST_REDIS',
    ]);
    const kit = mentioned(join(ROOT, 'packages', 'kit', 'src'));
    const secrets = secretsOf(localSecrets());
    for (const service of SERVICES) {
      const container = podSpec(find(rendered.local.objects, 'Deployment', service) as K8sObject).containers[0] as Container;
      const env = environment(container, rendered.local.objects, secrets, `${service}-0`);
      // The kit reads these for every service; each service's own reader test above checks the ones it needs.
      const perService = new Set([...(SQL_SERVICES.includes(service) ? [] : ['DATABASE_URL']), ...(STORE_SERVICES.includes(service) ? [] : ['STORE_REDIS_URL'])]);
      const unset = [...kit, ...mentioned(join(ROOT, 'services', service, 'src'))].filter((name) => env[name] === undefined && !defaults.has(name) && !perService.has(name));
      expect(unset, `${service}: set these in deploy/k8s/model.ts or generate.ts, or add them to this test's defaults`).toEqual([]);
    }
  });

  it('managed: make-secrets refuses a missing or unusable URL by its name', () => {
    const env = managedEnv();
    delete env.ORDERING_DATABASE_URL;
    expect(() => managedSecrets(env)).toThrow(/ORDERING_DATABASE_URL/);
    expect(() => managedSecrets({ ...managedEnv(), BASKET_STORE_REDIS_URL: 'http://x' })).toThrow(/STORE_REDIS_URL/);
  });

  it.each(OVERLAYS)('%s: no secret in plain text', (overlay) => {
    const { objects } = rendered[overlay];
    expect(objects.filter((item) => item.kind === 'Secret')).toEqual([]);
    const text = JSON.stringify(objects);
    // No URL with a password in it, anywhere.
    expect(text).not.toMatch(/[a-z]+:\/\/[^"/@\s]*:[^"/@\s]+@/);
    for (const item of objects) {
      if (item.kind === 'ConfigMap') {
        for (const key of Object.keys((item.data as Record<string, string>) ?? {})) expect(key).not.toMatch(/KEY|SECRET|PASSWORD|TOKEN/);
      }
      const spec = (item.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
      for (const container of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
        for (const entry of container.env ?? []) {
          if (/KEY|SECRET|PASSWORD|TOKEN|REDIS_URL|DATABASE_URL|^PW_/.test(entry.name)) expect(entry.valueFrom?.secretKeyRef, `${item.metadata.name} ${entry.name}`).toBeDefined();
        }
      }
    }
  });

  describe('local: the private Redis aclfile', () => {
    let server: RedisServer;
    let dir: string;
    const secrets = secretsOf(localSecrets());
    const bus = secrets.get('tributary-redis-bus-users') as Record<string, string>;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tributary-k8s-acl-'));
      // Started with an open default user so the helper can see it is up; then the overlay's aclfile is loaded over it.
      writeFileSync(join(dir, 'users.acl'), 'user default on nopass ~* &* +@all\n');
      server = await startRedisServer({ args: ['--aclfile', join(dir, 'users.acl')] });
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('make-aclfile.sh writes users Redis loads; each service and KEDA get what they need and no more', async () => {
      const configMap = find(rendered.local.objects, 'ConfigMap', 'redis-bus-acl')?.data as Record<string, string>;
      expect(configMap['users.rules']).toBe(aclRules('bus'));
      writeFileSync(join(dir, 'users.rules'), configMap['users.rules'] as string);
      const script = (configMap['make-aclfile.sh'] as string).replaceAll('/acl/users.acl', join(dir, 'users.acl')).replaceAll('/rules/users.rules', join(dir, 'users.rules'));
      const passwords = Object.fromEntries(redisUsersOf('bus').map((user) => [`PW_${envPrefix(user)}`, bus[user] as string]));
      // A password missing from the Secret stops the init container: no user is left without one.
      const missing = spawnSync('sh', ['-c', script], { env: { PATH: process.env.PATH, ...passwords, PW_KEDA: '' }, encoding: 'utf8' });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('PW_KEDA is not set');
      execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH, ...passwords } });
      const aclfile = readFileSync(join(dir, 'users.acl'), 'utf8');
      for (const password of Object.values(passwords)) expect(aclfile).not.toContain(password);

      const admin = createClient({ url: server.url });
      await admin.connect();
      await admin.sendCommand(['ACL', 'LOAD']);
      await admin.quit().catch(() => undefined);
      const as = async (user: string) => {
        const client = createClient({ url: `redis://${user}:${bus[user]}@127.0.0.1:${server.port}` });
        await client.connect();
        return client;
      };
      const anonymous = createClient({ url: server.url, socket: { reconnectStrategy: false } });
      anonymous.on('error', () => undefined);
      // The default user is off: a connection without a user is refused every command.
      await expect(anonymous.connect().then(() => anonymous.sendCommand(['PING']))).rejects.toThrow(/NOAUTH|authentication/i);
      if (anonymous.isOpen) anonymous.destroy();

      const ordering = await as('ordering');
      const accounts = await as('accounts');
      const keda = await as('keda');
      try {
        await ordering.sendCommand(['XADD', 'ordering:events', '*', 'type', 'OrderPlaced']);
        await accounts.sendCommand(['XGROUP', 'CREATE', 'ordering:events', 'accounts', '0']);
        await accounts.sendCommand(['XREADGROUP', 'GROUP', 'accounts', 'accounts-0', 'COUNT', '1', 'STREAMS', 'ordering:events', '>']);
        const groups = (await keda.sendCommand(['XINFO', 'GROUPS', 'ordering:events'])) as unknown[];
        expect(groups).toHaveLength(1);
        expect(await keda.sendCommand(['XPENDING', 'ordering:events', 'accounts'])).toBeDefined();
        await expect(keda.sendCommand(['XADD', 'ordering:events', '*', 'a', 'b'])).rejects.toThrow(/NOPERM/);
        await expect(keda.sendCommand(['GET', 'accounts:anything'])).rejects.toThrow(/NOPERM/);
        await expect(accounts.sendCommand(['XADD', 'ordering:events', '*', 'a', 'b'])).rejects.toThrow(/NOPERM/);
      } finally {
        await Promise.all([ordering, accounts, keda].map((client) => client.quit().catch(() => undefined)));
      }
    });
  });

  it('local: PostgreSQL gets one role per SQL service from the launcher\'s statements', () => {
    const script = postgresInitScript();
    for (const service of SQL_SERVICES) {
      expect(script).toContain(`CREATE ROLE tributary_${service.replace(/-/g, '_')}`);
      expect(script).toContain(`PW_${envPrefix(service)}`);
    }
    const postgres = podSpec(find(rendered.local.objects, 'StatefulSet', 'postgres') as K8sObject).containers[0] as Container;
    const passwords = secretsOf(localSecrets()).get('tributary-postgres') as Record<string, string>;
    const env = Object.fromEntries((postgres.env ?? []).filter((entry) => entry.name.startsWith('PW_')).map((entry) => [entry.name, passwords[entry.valueFrom?.secretKeyRef?.key ?? ''] ?? '']));
    for (const service of SQL_SERVICES) expect(env[`PW_${envPrefix(service)}`], service).toBe(passwords[service]);
    // What the script hands psql, with the passwords from the pod's environment in place of the placeholders.
    const sql = execFileSync('sh', ['-c', script.replace(/\| psql .*$/m, '')], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    expect(sql).not.toContain('PASSWORD_OF_');
    for (const service of SQL_SERVICES) expect(sql).toContain(`ALTER ROLE tributary_${service.replace(/-/g, '_')} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '${passwords[service]}'`);
    // A missing password stops the script instead of making a role without one.
    const missing = spawnSync('sh', ['-c', script], { env: { PATH: process.env.PATH, ...env, PW_ORDERING: '' }, encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('PW_ORDERING is not set');
  });

  it('local: the private servers keep an append-only file', () => {
    for (const name of ['redis-bus', 'redis-store']) {
      const redis = find(rendered.local.objects, 'StatefulSet', name) as K8sObject;
      const command = (podSpec(redis).containers[0] as Container & { command: string[] }).command.join(' ');
      expect(command).toContain('--appendonly yes');
      expect(command).toContain('--appendfsync always');
      expect((redis.spec as { volumeClaimTemplates: unknown[] }).volumeClaimTemplates).toHaveLength(1);
    }
    expect(find(rendered.managed.objects, 'StatefulSet', 'redis-bus')).toBeUndefined();
  });
});
