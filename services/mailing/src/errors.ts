import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes mailing answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const mailingError = defineHttpErrors({
  USER_NOT_FOUND: { status: 404, meaning: 'mailing knows no user with this id' },
  RECIPIENT_NOT_FOUND: { status: 404, meaning: 'mailing has no recipient with this user id' },
});
