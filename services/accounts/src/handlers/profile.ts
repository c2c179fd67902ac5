import { UserProfileChanged } from '@tributary/contracts';
import type { Publisher } from 'tributary';
import type { Outbox } from 'tributary/outbox';
import type { SqlDatabase } from 'tributary/sql';
import { profileChanges, type ProfilePatch } from '../domain/user.ts';
import { isUniqueViolation } from '../store/schema.ts';
import { lockUser, writeProfile, type User } from '../store/users.ts';

export type ProfileUpdate =
  | { kind: 'updated'; user: User; changes: ProfilePatch }
  | { kind: 'unchanged'; user: User }
  | { kind: 'not-found' }
  | { kind: 'email-taken' };

/**
 * PATCH /users/:id. In one transaction: lock the row, keep only the fields
 * that really change, write them, and put UserProfileChanged carrying just
 * those fields into the outbox. A no-op writes nothing and announces
 * nothing. Locking first makes concurrent PATCHes of one user a sequence,
 * each compared against the row the previous one left: one event per real
 * change, and the final row is the last PATCH applied.
 */
export async function updateProfile(
  deps: { db: SqlDatabase; outbox: Outbox; publisher: Publisher },
  userId: string,
  patch: ProfilePatch,
): Promise<ProfileUpdate> {
  let result: ProfileUpdate;
  try {
    result = await deps.outbox.transaction(async (tx, emit): Promise<ProfileUpdate> => {
      const current = await lockUser(tx, userId);
      if (!current) return { kind: 'not-found' };
      const changes = profileChanges(current, patch);
      if (Object.keys(changes).length === 0) return { kind: 'unchanged', user: current };
      const user = await writeProfile(tx, userId, changes);
      emit(deps.publisher.envelope(UserProfileChanged, { userId, changes }));
      return { kind: 'updated', user, changes };
    });
  } catch (error) {
    // The unique index on lower(email) decides between two users racing for one address.
    if (isUniqueViolation(error)) return { kind: 'email-taken' };
    throw error;
  }
  return result;
}
