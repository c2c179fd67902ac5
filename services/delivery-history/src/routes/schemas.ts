import { Id } from '@tributary/contracts';
import { Type } from 'tributary';
import { ErrorBody } from 'tributary/http';
import { RecordShape } from '../record-schema.ts';

/** Request and response shapes of the delivery-history HTTP API. */
const DayText = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD (UTC)' });

export const HistoryParams = Type.Object({ id: Id }, { additionalProperties: false });

export const HistoryReply = Type.Composite([RecordShape, Type.Object({ source: Type.Union([Type.Literal('lookup'), Type.Literal('lake')]) })]);

export const AnalyticsQuery = Type.Object({ from: DayText, to: DayText }, { additionalProperties: false });

export const AnalyticsReply = Type.Object({
  from: Type.String(),
  to: Type.String(),
  days: Type.Array(
    Type.Object({
      day: Type.String(),
      delivered: Type.Integer(),
      failed: Type.Integer(),
      avgDurationSeconds: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
  totals: Type.Object({ delivered: Type.Integer(), failed: Type.Integer(), failureRate: Type.Number() }),
  failuresByReason: Type.Record(Type.String(), Type.Integer()),
});

/** Ten years: beyond that "older than" is a typo, not a retention policy. */
export const ArchiveBody = Type.Object(
  { olderThanDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_650 })) },
  { additionalProperties: false },
);

export const ArchiveReply = Type.Object({ archived: Type.Integer(), cutoff: Type.String() });

export { ErrorBody };
