import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes ordering answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const orderingError = defineHttpErrors({
  DUPLICATE_PRODUCT: { status: 400, meaning: 'a product appears more than once in the order: use quantity' },
  TOTAL_TOO_LARGE: { status: 400, meaning: 'the order total exceeds what one order may cost' },
  UNKNOWN_USER: { status: 422, meaning: 'no user has this id' },
  UNKNOWN_PRODUCT: { status: 422, meaning: 'no product has this id' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'a service the order is checked against cannot be reached: try again' },
  ORDER_NOT_FOUND: { status: 404, meaning: 'no order has this id' },
  ORDER_FINISHED: { status: 409, meaning: 'the order is finished already (shipped, failed or cancelled)' },
  ORDER_NOT_STUCK: { status: 409, meaning: 'the order changed too recently to be called stuck' },
  ORDER_WAITS_FOR_ACCOUNTS: { status: 409, meaning: "the order waits for accounts: replay accounts' dead letter for it instead" },
});
