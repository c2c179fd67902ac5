import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes basket answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const basketError = defineHttpErrors({
  USER_NOT_FOUND: { status: 404, meaning: 'basket knows no user with this id (yet: a user registered a moment ago arrives within a moment)' },
  UNKNOWN_PRODUCT: { status: 422, meaning: 'basket has no price for this product (yet: copied from the catalog by its events)' },
  BASKET_FULL: { status: 422, meaning: 'the basket holds the most different products it may' },
  EMPTY_BASKET: { status: 422, meaning: 'checkout of an empty basket' },
  TOTAL_TOO_LARGE: { status: 422, meaning: 'the basket total exceeds what one order may cost' },
  BASKET_CHANGING: { status: 409, meaning: 'the basket changed during checkout every time it was tried: try again' },
});
