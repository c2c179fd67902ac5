import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes package answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const packageError = defineHttpErrors({
  PACKAGE_NOT_FOUND: { status: 404, meaning: 'no package has this id' },
  INVALID_CURSOR: { status: 400, meaning: 'the page cursor (after=) is not a package' },
});
