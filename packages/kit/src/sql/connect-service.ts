import type { Logger } from 'pino';
import { connectRedis, redactUrl, type RedisClient } from '../redis/client.ts';
import { redisOptionsOf, type ServiceConfig } from '../service/config.ts';
import { openDatabase, type SqlDatabase } from './database.ts';

export interface SqlServiceConnections {
  /** Streams only: a SQL service keeps its data in its database. */
  bus: RedisClient;
  db: SqlDatabase;
  /** Closes the bus, then the database. */
  close(): Promise<void>;
}

/**
 * What every SQL service's main opens: the bus and its database
 * (config.databaseUrl); if the database cannot be opened the bus is closed
 * again before the error is thrown. Here rather than in `tributary/service`
 * so that a Redis-only service never loads PGlite and pg.
 */
export async function connectSqlService(config: ServiceConfig, logger: Logger): Promise<SqlServiceConnections> {
  const bus = await connectRedis(config.busRedisUrl, {
    name: `${config.service}:${config.instance}`,
    ...redisOptionsOf(config, 'bus'),
    onError: (error) => logger.warn({ err: error, bus: redactUrl(config.busRedisUrl) }, 'bus redis error'),
  });
  let db: SqlDatabase;
  try {
    db = await openDatabase(config.databaseUrl);
  } catch (error) {
    await bus.close();
    throw error;
  }
  return {
    bus,
    db,
    async close() {
      await bus.close();
      await db.close();
    },
  };
}
