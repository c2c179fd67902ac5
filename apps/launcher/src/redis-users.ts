import { adoptLegacyDeadLetters, connectRedis, forEachNode, redactUrl, replyMaps, streamKeys, type RedisTls } from 'tributary';
import { setUserCommands, STREAMS } from './acl.ts';
import type { Rotation } from './credentials.ts';
import type { RedisRole } from './redis.ts';
import type { ServiceName } from './services.ts';

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}

/**
 * Gives a Redis the launcher did not start (BUS_REDIS_URL / STORE_REDIS_URL)
 * the same per-service users as its own servers, with ACL SETUSER through the
 * given connection. Its `default` user and any other user are left as they
 * are: the server is someone else's. Returns false, having said why, when
 * that connection may not manage users: the services then get the given URL
 * unchanged. On a Redis Cluster the users are made on every node, replicas
 * included: ACL users are not shared over the cluster bus, and a replica that
 * takes over its shard must already know them.
 */
export async function provisionExternalRedis(
  role: RedisRole,
  url: string,
  passwords: Partial<Record<ServiceName, string>>,
  say: (line: string) => void,
  tls?: RedisTls,
  rotating?: Partial<Record<ServiceName, Rotation>>,
): Promise<boolean> {
  let client: Awaited<ReturnType<typeof connectRedis>>;
  try {
    client = await connectRedis(url, { name: `tributary-launcher:${role}`, failFast: true, tls });
  } catch (error) {
    // The services meet the same problem and say it in their own words (a bad URL is refused before any starts).
    say(`${role} Redis ${redactUrl(url)}: cannot connect to create the per-service ACL users (${firstLine(error)}); every service gets the given URL unchanged`);
    return false;
  }
  let saves: boolean[];
  try {
    saves = await forEachNode(
      client,
      async (node) => {
        for (const command of setUserCommands(role, passwords, rotating)) await node.sendCommand(command);
        // Users made by ACL SETUSER live in memory: kept over a restart only when the server has an aclfile.
        return node.sendCommand(['ACL', 'SAVE']).then(() => true, () => false);
      },
      { replicas: true },
    );
  } catch (error) {
    say(`${role} Redis ${redactUrl(url)}: cannot create the per-service ACL users (${firstLine(error)}); every service gets the given URL unchanged`);
    await client.close();
    return false;
  }
  const saved = saves.every(Boolean)
    ? 'saved to its aclfile'
    : `in memory only (${saves.length > 1 ? 'a node' : 'the server'} has no aclfile: a restart of it forgets them)`;
  await client.close();
  say(`${role} Redis ${redactUrl(url)}: one ACL user per service${saves.length > 1 ? ` on each of its ${saves.length} nodes` : ''}, ${saved}`);
  return true;
}

/**
 * What the ACL refused on a server since it started, one line per user,
 * command and key or channel (ACL LOG): a service missing a permission shows
 * here instead of only as retries in its own log.
 */
export async function aclDenials(url: string, tls?: RedisTls): Promise<string[]> {
  const client = await connectRedis(url, { name: 'tributary-launcher:acl-log', failFast: true, tls });
  try {
    return replyMaps(await client.sendCommand(['ACL', 'LOG', '128'])).map((fields) => {
      const command = /\bcmd=(\S+)/.exec(String(fields.get('client-info')))?.[1] ?? '?';
      // For a refused command the object is the command itself; for a key or channel, that key or channel.
      const object = fields.get('reason') === 'command' ? '' : ` ${String(fields.get('object'))}`;
      return `${String(fields.get('username'))}: ${command.toUpperCase()}${object} refused (${String(fields.get('reason'))}, ${String(fields.get('context'))}, x${String(fields.get('count'))})`;
    });
  } finally {
    await client.close();
  }
}

/**
 * Dead letters kept under their name from before Cluster support
 * (`<stream>:dlq`) move to `{<stream>}:dlq`, once, before any service
 * starts. Only the launcher's own admin user may rename keys it does not
 * own; on a server whose URL gives no such right this says so and goes on
 * (the old letters stay readable with XRANGE, and move when an operator
 * runs the launcher with an admin URL once).
 */
export async function upgradeDeadLetters(url: string, say: (line: string) => void, tls?: RedisTls): Promise<void> {
  let client: Awaited<ReturnType<typeof connectRedis>> | undefined;
  try {
    client = await connectRedis(url, { name: 'tributary-launcher:upgrade', failFast: true, tls });
    const moved = await adoptLegacyDeadLetters(client, STREAMS);
    for (const [stream, count] of Object.entries(moved)) say(`moved ${count} dead letters of ${stream} to ${streamKeys.deadLetters(stream)} (the name they have since Redis Cluster support)`);
  } catch (error) {
    say(`could not move dead letters from their old names (<stream>:dlq) on ${redactUrl(url)}: ${(error as Error).message}`);
  } finally {
    await client?.close().catch(() => client?.destroy());
  }
}
