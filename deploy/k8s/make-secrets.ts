import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { stringify } from 'yaml';
import { readServiceConfig } from 'tributary/service';
import { serviceDatabaseUrl } from '../../apps/launcher/src/database-roles.ts';
import { redisUsersOf } from './generate.ts';
import {
  connectionKeys, connectionSecret, envPrefix, GATEWAY_SECRET, KEDA_SECRET, KEDA_USER, POSTGRES_SECRET, REDIS_USERS_SECRET, SERVICES, SHARED_SECRET, SQL_SERVICES,
  STORE_SERVICES, type ServiceName,
} from './model.ts';

/**
 * The Secrets the manifests refer to, printed as YAML for `kubectl apply -f -`
 * and never written to the repository:
 *
 *   npm run --silent k8s-secrets -- local   | kubectl apply -f -
 *   npm run --silent k8s-secrets -- managed | kubectl apply -f -
 *
 * `local`: new random passwords for every Redis user and PostgreSQL role of
 * the overlay's private servers, and the URLs that use them. Run it once:
 * a second run changes every password, which the servers (aclfile at each
 * start, roles only on an empty data directory) do not all follow.
 *
 * `managed`: each service's URLs from this process's environment
 * (`<SERVICE>_BUS_REDIS_URL`, `<SERVICE>_STORE_REDIS_URL`, `<SERVICE>_DATABASE_URL`,
 * made with `npm run acl`), KEDA's user (KEDA_REDIS_ADDRESS, KEDA_REDIS_USERNAME,
 * KEDA_REDIS_PASSWORD); the keys (INTERNAL_API_KEY, ADMIN_API_KEY,
 * SESSION_COOKIE_SECRET) from the environment or new.
 */

type Secret = { apiVersion: 'v1'; kind: 'Secret'; type: 'Opaque'; metadata: { name: string; labels: Record<string, string> }; stringData: Record<string, string> };

/** Hex: safe in a URL's userinfo, in sed and in SQL without quoting. */
const newPassword = () => randomBytes(24).toString('hex');

const secret = (name: string, stringData: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'Opaque',
  metadata: { name, labels: { 'app.kubernetes.io/part-of': 'tributary' } },
  stringData,
});

function keys(env: NodeJS.ProcessEnv): Secret[] {
  return [
    secret(SHARED_SECRET, { INTERNAL_API_KEY: env.INTERNAL_API_KEY || newPassword() }),
    secret(GATEWAY_SECRET, { ADMIN_API_KEY: env.ADMIN_API_KEY || newPassword(), SESSION_COOKIE_SECRET: env.SESSION_COOKIE_SECRET || newPassword() }),
  ];
}

export function localSecrets(): Secret[] {
  const passwords = {
    bus: Object.fromEntries(redisUsersOf('bus').map((user) => [user, newPassword()])),
    store: Object.fromEntries(redisUsersOf('store').map((user) => [user, newPassword()])),
    postgres: Object.fromEntries(['postgres', ...SQL_SERVICES].map((role) => [role, newPassword()])),
  };
  const redisUrl = (role: 'bus' | 'store', user: string) => `redis://${user}:${passwords[role][user]}@redis-${role}:6379`;
  const perService = SERVICES.map((service) =>
    secret(connectionSecret(service), {
      BUS_REDIS_URL: redisUrl('bus', service),
      ...(STORE_SERVICES.includes(service) ? { STORE_REDIS_URL: redisUrl('store', service) } : {}),
      ...(SQL_SERVICES.includes(service) ? { DATABASE_URL: serviceDatabaseUrl('postgres://postgres:5432/tributary', service, passwords.postgres[service] as string) } : {}),
    }),
  );
  return [
    secret(REDIS_USERS_SECRET('bus'), passwords.bus),
    secret(REDIS_USERS_SECRET('store'), passwords.store),
    secret(POSTGRES_SECRET, passwords.postgres),
    secret(KEDA_SECRET, { address: 'redis-bus:6379', username: KEDA_USER, password: passwords.bus[KEDA_USER] as string }),
    ...perService,
    ...keys({}),
  ];
}

export function managedSecrets(env: NodeJS.ProcessEnv): Secret[] {
  const missing: string[] = [];
  const read = (name: string) => {
    const value = env[name];
    if (!value) missing.push(name);
    return value ?? '';
  };
  const perService = SERVICES.map((service: ServiceName) => {
    const data = Object.fromEntries(connectionKeys(service).map((key) => [key, read(`${envPrefix(service)}_${key}`)]));
    return secret(connectionSecret(service), data);
  });
  const keda = secret(KEDA_SECRET, { address: read('KEDA_REDIS_ADDRESS'), username: read('KEDA_REDIS_USERNAME'), password: read('KEDA_REDIS_PASSWORD') });
  if (missing.length > 0) throw new Error(`set these in the environment (see deploy/README.md): ${missing.join(' ')}`);
  // A URL the service would refuse is refused here, by its variable's name, before anything is applied.
  for (const item of perService) readServiceConfig(item.metadata.name.replace(/^tributary-|-connections$/g, ''), item.stringData);
  return [keda, ...perService, ...keys(env)];
}

if (process.argv[1] && relative(process.argv[1], import.meta.filename) === '') {
  const mode = process.argv[2];
  try {
    const secrets = mode === 'local' ? localSecrets() : mode === 'managed' ? managedSecrets(process.env) : null;
    if (!secrets) {
      console.error('usage: npm run --silent k8s-secrets -- local|managed | kubectl apply -f -');
      process.exit(64);
    }
    process.stdout.write(secrets.map((item) => stringify(item)).join('---\n'));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
