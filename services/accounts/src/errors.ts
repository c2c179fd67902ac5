import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes accounts answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const accountsError = defineHttpErrors({
  USER_NOT_FOUND: { status: 404, meaning: 'no user has this id or email' },
  EMAIL_TAKEN: { status: 409, meaning: 'another user has this email' },
});
