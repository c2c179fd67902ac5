import { defineHttpErrors } from 'tributary/http';

/** The HTTP error codes order-monitoring answers with, besides the kit's (docs/architecture.md, "Error codes"). */
export const orderMonitoringError = defineHttpErrors({
  UNKNOWN_LEADERBOARD: { status: 404, meaning: 'no leaderboard has this name' },
  NOT_RANKED: { status: 404, meaning: 'the member has no score on this leaderboard' },
});
