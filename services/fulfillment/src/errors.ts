import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes fulfillment answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const fulfillmentError = defineHttpErrors({
  PRODUCT_NOT_FOUND: { status: 404, meaning: 'fulfillment knows no product with this id (yet: copied from the catalog by its events)' },
});
