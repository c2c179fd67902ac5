import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes delivery answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const deliveryError = defineHttpErrors({
  DELIVERY_NOT_FOUND: { status: 404, meaning: 'no delivery in progress has this id (delivery-history keeps finished ones)' },
});
