import { Type } from 'tributary';
import type { HttpApp } from 'tributary/http';
import type { ActiveActiveStore } from '../store/active-active.ts';

const Pair = Type.Union([
  Type.Object({
    source: Type.String(),
    target: Type.String(),
    cursor: Type.String(),
    pending: Type.Integer({ minimum: 0 }),
    oldestPendingMs: Type.Integer({ minimum: 0 }),
  }),
  Type.Object({ source: Type.String(), target: Type.String(), unreachable: Type.String() }),
]);
const RegionsReply = Type.Object({ region: Type.Union([Type.String(), Type.Null()]), replication: Type.Array(Pair) });

/**
 * GET /regions (internal API): this instance's region (null when not
 * Active/Active) and, for each other region, how far this one is behind it
 * and how far it is behind this one.
 */
export function regionRoutes(deps: { region: string | null; status: ActiveActiveStore['status'] }) {
  return async (app: HttpApp): Promise<void> => {
    app.get('/regions', { schema: { response: { 200: RegionsReply } } }, async () => ({ region: deps.region, replication: await deps.status() }));
  };
}
