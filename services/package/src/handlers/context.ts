import type { Publisher } from 'tributary';
import type { Outbox } from 'tributary/outbox';
import type { Logger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import type { GeoPoint } from '../domain/dropoff.ts';

/** What the handler and the routes share. */
export interface PackageContext {
  db: SqlDatabase;
  outbox: Outbox;
  publisher: Publisher;
  logger: Logger;
  /** Where every package is picked up. */
  warehouse: GeoPoint;
}

/** The consumer group of package's consumers: the service name. */
export const GROUP = 'package';
