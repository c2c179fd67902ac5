import { connectRedis, forEachNode, redactUrl, type RedisClient, type RedisTls } from 'tributary';
import { newPassword, readCredentials, saveCredentials, withUser, writePasswordFile, type Credentials } from './credentials.ts';
import type { RedisRole } from './redis.ts';
import type { ServiceName } from './services.ts';

/**
 * Rotating one service's Redis key without a failed request
 * (docs/least-privilege.md, "Rotating"). Redis lets a user hold several
 * passwords, and a connection stays logged in when its password is removed;
 * the services read their password from a file at every (re)connection. So:
 *
 * 1. begin: the new password is recorded beside the old (`rotating` in the
 *    credentials file), before any server knows it;
 * 2. add: `ACL SETUSER <service> >new` on each server (both now open it);
 * 3. switch: the service's password files hold the new one, so every
 *    instance's next connection uses it; the file records it as current;
 * 4. retire: `ACL SETUSER <service> <old` on each server;
 * 5. end: the rotation is struck from the credentials file.
 *
 * Every step is idempotent and each state between two steps lets every
 * instance connect (the old password is valid until the files hold the
 * new, which the server has by then), so a rotation cut short anywhere is
 * finished by running it again: it picks up the recorded new password.
 */
export type RotationStep = 'begun' | 'added' | 'switched' | 'retired';

export interface RotateOptions {
  dataDir: string;
  /**
   * The servers with per-service users, as a user that may run ACL (the
   * launcher's URL files). No store URL when the store is the bus server.
   */
  urls: Partial<Record<RedisRole, string>>;
  service: ServiceName;
  /** CA, client certificate and key for a `rediss://` server (the CLI's, as for its other commands). */
  tls?: Partial<Record<RedisRole, RedisTls | undefined>>;
  say?: (line: string) => void;
  /** For tests of an interrupted rotation: stop after this step as a crash there would. */
  stopAfter?: RotationStep;
}

export interface RotationResult {
  service: ServiceName;
  roles: RedisRole[];
  /** Whether this call finished a rotation an earlier one had begun, instead of beginning its own. */
  resumed: boolean;
}

/** A rotation that cannot go on; the state it leaves lets every service connect. */
export class RotationError extends Error {
  override name = 'RotationError';
}

/** What an ACL SETUSER that removes an absent password answers: the step was done before. */
const ALREADY_REMOVED = /password you are trying to remove .* does not exist/i;

async function admin(role: RedisRole, url: string, tls: RedisTls | undefined): Promise<RedisClient> {
  try {
    return await connectRedis(url, { name: 'tributary-cli:keys', failFast: true, tls });
  } catch (error) {
    throw new RotationError(`cannot connect to the ${role} Redis at ${redactUrl(url)} (${(error as Error).message}): is the system running?`);
  }
}

/** ACL SAVE where the server has an aclfile (the launcher's own), so a restarted server comes back with both passwords. */
async function save(client: RedisClient): Promise<void> {
  await client.sendCommand(['ACL', 'SAVE']).catch(() => undefined);
}

export async function rotateServiceKey(options: RotateOptions): Promise<RotationResult> {
  const { dataDir, service } = options;
  const say = options.say ?? (() => undefined);
  const credentials: Credentials | null = readCredentials(dataDir);
  if (!credentials) throw new RotationError(`no per-service credentials in ${dataDir}: no system was started there with per-service Redis users (or TRIBUTARY_REDIS_ACL=off)`);
  const roles = (['bus', 'store'] as const).filter((role) => options.urls[role] !== undefined);
  for (const role of roles) {
    if (!credentials.redis[role].services[service]) throw new RotationError(`${service} has no ${role} Redis password in ${dataDir}: start the system once to make it`);
  }
  const resumed = roles.some((role) => credentials.redis[role].rotating?.[service]);
  const stop = (step: RotationStep) => options.stopAfter === step;

  if (!resumed) {
    for (const role of roles) {
      const passwords = credentials.redis[role];
      passwords.rotating = { ...passwords.rotating, [service]: { from: passwords.services[service] as string, to: newPassword() } };
    }
    saveCredentials(dataDir, credentials);
  } else {
    say(`${service}: finishing the rotation an earlier run began`);
  }
  if (stop('begun')) return { service, roles, resumed };
  const rotating = roles.filter((role) => credentials.redis[role].rotating?.[service]);

  const clients = new Map<RedisRole, RedisClient>();
  try {
    for (const role of rotating) clients.set(role, await admin(role, options.urls[role] as string, options.tls?.[role]));
    for (const role of rotating) {
      const { to } = credentials.redis[role].rotating?.[service] as { to: string };
      const client = clients.get(role) as RedisClient;
      // On a cluster, every node: ACL users are not shared over the cluster bus.
      await forEachNode(client, async (node) => {
        await node.sendCommand(['ACL', 'SETUSER', service, `>${to}`]);
        await save(node);
      }, { replicas: true });
      // Proof the server opens the user with it before any service is told to use it.
      const probe = await connectRedis(withUser(options.urls[role] as string, service, to), { name: 'tributary-cli:keys-probe', failFast: true, tls: options.tls?.[role] }).catch((error: unknown) => {
        throw new RotationError(`the ${role} Redis does not take ${service}'s new password (${(error as Error).message}); the old one still works`);
      });
      await probe.close();
    }
    say(`${service}: new password added on ${rotating.join(' and ')} Redis`);
    if (stop('added')) return { service, roles, resumed };

    for (const role of rotating) {
      const { to } = credentials.redis[role].rotating?.[service] as { to: string };
      writePasswordFile(dataDir, service, role, to);
      credentials.redis[role].services[service] = to;
    }
    saveCredentials(dataDir, credentials);
    say(`${service}: every instance uses the new password from its next connection`);
    if (stop('switched')) return { service, roles, resumed };

    for (const role of rotating) {
      const { from, to } = credentials.redis[role].rotating?.[service] as { from: string; to: string };
      if (from === to) continue;
      const client = clients.get(role) as RedisClient;
      await forEachNode(client, async (node) => {
        await node.sendCommand(['ACL', 'SETUSER', service, `<${from}`]).catch((error: unknown) => {
          if (!ALREADY_REMOVED.test((error as Error).message)) throw error;
        });
        await save(node);
      }, { replicas: true });
    }
    say(`${service}: old password removed (connections made with it stay open; a new one needs the new password)`);
    if (stop('retired')) return { service, roles, resumed };

    for (const role of rotating) delete credentials.redis[role].rotating?.[service];
    saveCredentials(dataDir, credentials);
    return { service, roles, resumed };
  } finally {
    await Promise.allSettled([...clients.values()].map((client) => client.close()));
  }
}
