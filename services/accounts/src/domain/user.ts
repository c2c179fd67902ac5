/**
 * Emails are compared case-insensitively: "Ann@Example.com" and
 * "ann@example.com" are one mailbox as far as sign-up is concerned, so the
 * stored (and unique) form is lower case.
 */
export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}
