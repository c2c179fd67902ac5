import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes shelving answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const shelvingError = defineHttpErrors({
  BOOK_NOT_ON_SHELF: { status: 409, meaning: 'the book is handed out to another request' },
});
