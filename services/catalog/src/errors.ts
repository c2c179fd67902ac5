import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes catalog answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const catalogError = defineHttpErrors({
  PRODUCT_NOT_FOUND: { status: 404, meaning: 'no product has this id' },
  SKU_TAKEN: { status: 409, meaning: 'another product has this SKU' },
});
