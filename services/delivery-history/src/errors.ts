import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes delivery-history answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const deliveryHistoryError = defineHttpErrors({
  HISTORY_NOT_FOUND: { status: 404, meaning: 'no finished delivery has this id' },
  INVALID_DATE: { status: 400, meaning: 'a date is not a real calendar date (YYYY-MM-DD)' },
  INVALID_RANGE: { status: 400, meaning: 'the range starts after it ends' },
  RANGE_TOO_LONG: { status: 400, meaning: 'the range spans more days than one query may' },
});
