import type { Handler } from 'tributary';
import type { UserRegistered } from '@tributary/contracts';
import type { UserStore } from '../store/user-store.ts';

/** Which users exist: only registration matters here (a profile change names a user already known). */
export function userRegisteredHandler(deps: { users: UserStore }): Handler<typeof UserRegistered> {
  return async (event) => {
    await deps.users.remember(event.data.userId);
  };
}
