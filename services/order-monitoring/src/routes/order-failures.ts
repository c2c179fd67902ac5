import { Type } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { FAILURE_REASONS, FailureReason, Id } from '@tributary/contracts';
import { summarize } from '../domain/failures.ts';
import type { FailureStore } from '../store/failure-store.ts';

const Count = Type.Integer({ minimum: 0 });
const FailureReport = Type.Object({
  counts: Type.Object(Object.fromEntries(FAILURE_REASONS.map((reason) => [reason, Count]))),
  total: Count,
  recent: Type.Array(Type.Object({ orderId: Id, reason: FailureReason, at: Type.String() })),
});

/** GET /order-failures: failed orders by reason, and the latest ones (internal API, called by the gateway). */
export function orderFailureRoutes(deps: { store: FailureStore }) {
  return async (app: HttpApp): Promise<void> => {
    app.get('/order-failures', { schema: { response: { 200: FailureReport } } }, async () => {
      const { counts, recent } = await deps.store.read();
      return summarize(counts, recent);
    });
  };
}
