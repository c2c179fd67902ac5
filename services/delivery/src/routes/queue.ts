import { Type } from 'tributary';
import type { HttpApp } from 'tributary/http';
import type { FleetStore } from '../store/fleet.ts';

export const QueueReply = Type.Object({
  /** Deliveries no drone has reported on yet, in the order they were created. */
  waiting: Type.Integer({ minimum: 0 }),
  /** How long the oldest of them has waited; null when none waits. */
  oldestWaitSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  /** Past this wait a delivery fails with NO_DRONE_AVAILABLE (DELIVERY_DRONE_WAIT_TIMEOUT_MS). */
  waitLimitSeconds: Type.Number({ minimum: 0 }),
});

/** GET /deliveries/queue: demand beyond the fleet, for the dashboard. Two O(log n) reads, whatever the queue holds. */
export function queueRoutes(deps: { fleet: FleetStore; waitLimitMs: number }) {
  return async (app: HttpApp): Promise<void> => {
    app.get('/deliveries/queue', { schema: { response: { 200: QueueReply } } }, async () => {
      const { waiting, oldestCreatedAtMs } = await deps.fleet.queue();
      return {
        waiting,
        oldestWaitSeconds: oldestCreatedAtMs === null ? null : Math.max(0, Date.now() - oldestCreatedAtMs) / 1_000,
        waitLimitSeconds: deps.waitLimitMs / 1_000,
      };
    });
  };
}
