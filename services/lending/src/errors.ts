import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes lending answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const lendingError = defineHttpErrors({
  REQUEST_NOT_FOUND: { status: 404, meaning: 'no lending request has this id, or its outcome expired' },
});
