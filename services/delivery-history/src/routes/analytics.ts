import type { HttpApp } from 'tributary/http';
import { daySpan, parseDay } from '../domain/days.ts';
import type { Duck } from '../lake/duck.ts';
import { deliveryAnalytics } from '../lake/lake-reader.ts';
import type { LakeLayout } from '../lake/layout.ts';
import { AnalyticsQuery, AnalyticsReply, ErrorBody } from './schemas.ts';
import { deliveryHistoryError } from '../errors.ts';

export const MAX_RANGE_DAYS = 366;

/**
 * The guide's first use, over the lake only: records finished in the last
 * flush interval may still be waiting in the lookup store and are not counted
 * yet.
 */
export async function analyticsRoutes(app: HttpApp, deps: { duck: Duck; layout: LakeLayout }): Promise<void> {
  app.get('/analytics/deliveries', { schema: { querystring: AnalyticsQuery, response: { 200: AnalyticsReply, 400: ErrorBody } } }, async (request) => {
    const from = parseDay(request.query.from);
    const to = parseDay(request.query.to);
    if (!from || !to) throw deliveryHistoryError('INVALID_DATE', 'from and to must be real calendar dates, YYYY-MM-DD');
    if (from > to) throw deliveryHistoryError('INVALID_RANGE', 'from must not be after to');
    if (daySpan(from, to) > MAX_RANGE_DAYS) throw deliveryHistoryError('RANGE_TOO_LONG', `at most ${MAX_RANGE_DAYS} days per query`);
    return { from, to, ...(await deliveryAnalytics(deps.duck, deps.layout, from, to)) };
  });
}
