/**
 * Where a service's data lives is decided by connection strings only, so a
 * move to a managed Redis or PostgreSQL is a change of environment:
 * `<SERVICE>_BUS_REDIS_URL` > `BUS_REDIS_URL`, `<SERVICE>_STORE_REDIS_URL` >
 * `STORE_REDIS_URL`, `<SERVICE>_DATABASE_URL` > `DATABASE_URL` (a shared
 * server gets one schema per service) > PGlite under `./.data/pg/<service>`.
 */
export interface ServiceConfig {
  service: string;
  host: string;
  port: number;
  busRedisUrl: string;
  storeRedisUrl: string;
  databaseUrl: string;
  /** Stable consumer-name prefix across restarts of this instance. */
  instance: string;
}

export function readServiceConfig(service: string, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const prefix = service.toUpperCase().replace(/-/g, '_');
  const pick = (name: string) => env[`${prefix}_${name}`] ?? env[name];
  const busRedisUrl = pick('BUS_REDIS_URL');
  if (!busRedisUrl) throw new Error(`${service}: BUS_REDIS_URL is not set (npm start sets it)`);
  const storeRedisUrl = pick('STORE_REDIS_URL') ?? busRedisUrl;
  const own = env[`${prefix}_DATABASE_URL`];
  const shared = env.DATABASE_URL;
  let databaseUrl = own ?? `pglite://${env.TRIBUTARY_DATA_DIR ?? './.data'}/pg/${service}`;
  if (!own && shared) {
    const url = new URL(shared);
    url.searchParams.set('schema', prefix.toLowerCase());
    databaseUrl = url.toString();
  }
  const port = Number(env[`${prefix}_PORT`] ?? env.PORT ?? 0);
  return {
    service,
    host: env.HOST ?? '127.0.0.1',
    port: Number.isInteger(port) && port >= 0 ? port : 0,
    busRedisUrl,
    storeRedisUrl,
    databaseUrl,
    instance: env.TRIBUTARY_INSTANCE ?? `${service}-${process.pid}`,
  };
}
