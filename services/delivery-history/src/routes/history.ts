import type { HttpApp } from 'tributary/http';
import type { SqlDatabase } from 'tributary/sql';
import type { Duck } from '../lake/duck.ts';
import { findInLake } from '../lake/lake-reader.ts';
import type { LakeLayout } from '../lake/layout.ts';
import { findRecord } from '../store/deliveries.ts';
import { ErrorBody, HistoryParams, HistoryReply } from './schemas.ts';
import { deliveryHistoryError } from '../errors.ts';

/** The guide's second use: one delivery by id, from the lookup store while it is there, else from the lake. */
export async function historyRoutes(app: HttpApp, deps: { db: SqlDatabase; duck: Duck; layout: LakeLayout }): Promise<void> {
  app.get('/deliveries/:id/history', { schema: { params: HistoryParams, response: { 200: HistoryReply, 404: ErrorBody } } }, async (request) => {
    const { id } = request.params;
    const recent = await findRecord(deps.db, id);
    if (recent) return { ...recent, source: 'lookup' as const };
    const archived = await findInLake(deps.duck, deps.layout, id);
    if (archived) return { ...archived, source: 'lake' as const };
    throw deliveryHistoryError('HISTORY_NOT_FOUND', `no finished delivery ${id}`);
  });
}
