/**
 * Emails are compared case-insensitively: "Ann@Example.com" and
 * "ann@example.com" are one mailbox as far as sign-up is concerned, so the
 * stored (and unique) form is lower case.
 */
export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}

/** The part of a user that PATCH /users/:id may change. */
export interface Profile {
  name: string;
  email: string;
  address: string | null;
  country: string;
}

export type ProfilePatch = Partial<Profile>;

/**
 * The fields of `patch` whose value really differs from `current` (after
 * email normalisation): what is written, and all that UserProfileChanged
 * carries. Empty means the PATCH is a no-op: no write, no event.
 */
export function profileChanges(current: Profile, patch: ProfilePatch): ProfilePatch {
  const changes: ProfilePatch = {};
  if (patch.name !== undefined && patch.name !== current.name) changes.name = patch.name;
  if (patch.email !== undefined) {
    const email = normalizeEmail(patch.email);
    if (email !== current.email) changes.email = email;
  }
  if (patch.address !== undefined && patch.address !== current.address) changes.address = patch.address;
  if (patch.country !== undefined && patch.country !== current.country) changes.country = patch.country;
  return changes;
}
