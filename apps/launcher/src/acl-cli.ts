import { join, resolve } from 'node:path';
import { redisUsers, setUserCommands } from './acl.ts';
import { loadCredentials } from './credentials.ts';
import { databaseRoleStatements, serviceDatabaseUrl, SQL_SERVICES } from './database-roles.ts';
import type { RedisRole } from './redis.ts';

/**
 * `npm run acl -- redis bus|store` / `npm run acl -- sql <postgres url>`:
 * prints what the launcher would run to give each service its own Redis
 * user or PostgreSQL role, with the passwords of the data directory (made
 * now if missing), for an operator who provisions a server themselves.
 */
const USAGE = 'usage: npm run acl -- redis bus|store    (ACL SETUSER for redis-cli)\n       npm run acl -- sql <postgres url>  (SQL for psql, then each service\'s DATABASE_URL)';
const rootDir = resolve(import.meta.dirname, '..', '..', '..');
const dataDir = resolve(process.env.TRIBUTARY_DATA_DIR ?? join(rootDir, '.data'));
const [what, argument] = process.argv.slice(2);
const wanted = { redis: { bus: redisUsers('bus'), store: redisUsers('store') }, postgres: SQL_SERVICES };

/** redis-cli quoting: every argument in double quotes, as it reads them. */
const quote = (part: string) => `"${part.replace(/["\\]/g, '\\$&')}"`;

if (what === 'redis' && (argument === 'bus' || argument === 'store')) {
  const credentials = loadCredentials(dataDir, wanted);
  const passwords = credentials.redis[argument as RedisRole];
  for (const command of setUserCommands(argument as RedisRole, passwords.services, passwords.rotating)) console.log(command.map(quote).join(' '));
} else if (what === 'sql' && argument) {
  const credentials = loadCredentials(dataDir, wanted);
  for (const statement of databaseRoleStatements(argument, credentials.postgres)) console.log(`${statement};`);
  console.log('-- then give each service its own URL:');
  for (const service of SQL_SERVICES) {
    console.log(`-- ${service.toUpperCase().replace(/-/g, '_')}_DATABASE_URL=${serviceDatabaseUrl(argument, service, credentials.postgres[service] as string)}`);
  }
} else {
  console.error(USAGE);
  process.exit(64);
}
