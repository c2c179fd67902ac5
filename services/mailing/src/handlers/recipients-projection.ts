import type { RedisClient } from 'tributary';
import { createProjection, createRedisProjectionStore, type Projection, type ProjectionOptions, type RedisProjectionTx } from 'tributary/projection';
import { UserProfileChanged, UserRegistered } from '@tributary/contracts';
import { mailingKeys } from '../store/keys.ts';

export type RecipientsProjection = Projection<RedisProjectionTx>;
export type ProjectionTuning = Partial<Pick<ProjectionOptions<RedisProjectionTx>, 'batchSize' | 'blockMs' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs'>>;

const setOrClear = (tx: RedisProjectionTx, key: string, field: string, value: string | null | undefined) =>
  tx.write(value === null || value === undefined ? ['HDEL', key, field] : ['HSET', key, field, value]);

/**
 * Mailing's own copy of names, emails and addresses (the book's User ->
 * Mailing example), kept as a projection over `accounts:events`: a mailing
 * that was down catches up from its checkpoint, and the copy can be rebuilt
 * from the stream.
 */
export function createRecipientsProjection(
  deps: { bus: RedisClient; store: RedisClient; instance: string; tuning?: ProjectionTuning } & Pick<ProjectionOptions<RedisProjectionTx>, 'registry' | 'onReport'>,
): RecipientsProjection {
  return createProjection<RedisProjectionTx>({
    ...deps.tuning,
    name: 'mailing-recipients',
    bus: deps.bus,
    store: createRedisProjectionStore({
      redis: deps.store,
      namespace: mailingKeys.recipientsCheckpoints,
      readModel: { prefix: mailingKeys.recipientsPrefix },
    }),
    instance: deps.instance,
    ...(deps.registry ? { registry: deps.registry } : {}),
    ...(deps.onReport ? { onReport: deps.onReport } : {}),
  })
    .on(UserRegistered, (event, tx) => {
      const { userId, name, email, country, address } = event.data;
      const key = mailingKeys.recipient(userId);
      tx.write(['HSET', key, 'name', name, 'email', email, 'country', country]);
      setOrClear(tx, key, 'address', address);
    })
    .on(UserProfileChanged, (event, tx) => {
      // Only the fields present changed; the rest of the copy stays.
      const key = mailingKeys.recipient(event.data.userId);
      const { changes } = event.data;
      for (const field of ['name', 'email', 'country'] as const) {
        const value = changes[field];
        if (value !== undefined) tx.write(['HSET', key, field, value]);
      }
      if ('address' in changes) setOrClear(tx, key, 'address', changes.address);
    });
}
