import { Type, type RedisClient } from 'tributary';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Country } from '@tributary/contracts';
import type { Recipient } from '../domain/recipient.ts';
import { mailingKeys } from './keys.ts';

/** The hash as read back: a user only changed so far (registered before mailing's history) has no name or email. */
const StoredRecipient = TypeCompiler.Compile(
  Type.Object({ name: Type.String(), email: Type.String({ minLength: 1 }), country: Country, address: Type.Optional(Type.String()) }),
);

export interface RecipientStore {
  /** Null when unknown or incomplete. */
  get(userId: string): Promise<Recipient | null>;
}

export function createRecipientStore(redis: RedisClient): RecipientStore {
  return {
    async get(userId) {
      const hash = await redis.hGetAll(mailingKeys.recipient(userId));
      if (!StoredRecipient.Check(hash)) return null;
      return { userId, name: hash.name, email: hash.email, country: hash.country, address: hash.address ?? null };
    },
  };
}
