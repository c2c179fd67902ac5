import { defineHttpErrors } from 'tributary/http';

/**
 * The HTTP error codes the gateway answers with of its own, besides the
 * kit's; it relays the services' 4xx answers unchanged, so the API answers
 * their codes too (all listed in docs/openapi.json, components.schemas.ErrorCode).
 */
export const gatewayError = defineHttpErrors({
  ADMIN_KEY_REQUIRED: { status: 401, meaning: 'an admin view or operation: send the admin key (x-api-key or Authorization: Bearer) or sign in as the operator' },
  ADMIN_KEY_INVALID: { status: 403, meaning: 'the admin key sent is not valid' },
  ADMIN_ONLY: { status: 403, meaning: "every customer's data: only the operator may see it" },
  SIGN_IN_REQUIRED: { status: 401, meaning: "a customer's data: sign in as that customer or send the admin key" },
  NOT_YOUR_DATA: { status: 403, meaning: "another customer's data: a session opens only its own user's data" },
  NO_SESSION: { status: 401, meaning: 'not signed in' },
  CROSS_SITE_REQUEST: { status: 403, meaning: "a write with a session cookie that does not come from the gateway's own origin" },
  UNKNOWN_STREAM: { status: 400, meaning: 'no event stream has this name' },
  DUPLICATE_PRODUCT: { status: 400, meaning: 'a product appears more than once in the order: use quantity' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'a service is unreachable, restarting or failed to answer: try again' },
  BUS_UNAVAILABLE: { status: 503, meaning: 'the event bus cannot be reached: try again' },
  BAD_UPSTREAM_REPLY: { status: 400, meaning: "a service answered a 4xx that is not JSON (the service's status is kept)" },
});
