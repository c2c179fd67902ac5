import { DeliveryFailureReason, DeliveryStatusSchema, Id } from '@tributary/contracts';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Type, type Static } from 'tributary';
import type { DeliveryRecord } from './domain/record.ts';

/**
 * The shape of a finished delivery wherever it crosses a boundary: a row
 * read back from PostgreSQL, a row read from Parquet, an HTTP answer. Rows
 * are checked against it, so a store holding something else is an error
 * with a reason, not a malformed answer.
 */
const Instant = Type.String({ format: 'date-time' });

export const StepShape = Type.Object({ status: DeliveryStatusSchema, at: Instant }, { additionalProperties: false });

export const RecordShape = Type.Object(
  {
    deliveryId: Id,
    packageId: Id,
    orderId: Id,
    status: Type.Union([Type.Literal('DELIVERED'), Type.Literal('FAILED')]),
    reason: Type.Union([DeliveryFailureReason, Type.Null()]),
    steps: Type.Array(StepShape),
    startedAt: Instant,
    finishedAt: Instant,
    durationSeconds: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);

const checkRecord = TypeCompiler.Compile(RecordShape);
const checkSteps = TypeCompiler.Compile(Type.Array(StepShape));

export type RecordRow = Static<typeof RecordShape>;

/** `where` names the store in the error, for the operator who reads the log. */
export function parseRecord(row: unknown, where: string): DeliveryRecord {
  if (checkRecord.Check(row)) return row;
  const first = checkRecord.Errors(row).First();
  throw new Error(`${where}: a delivery record does not have the expected shape (${first ? `${first.path} ${first.message}` : 'unknown'})`);
}

export function parseSteps(value: unknown, where: string): DeliveryRecord['steps'] {
  if (checkSteps.Check(value)) return value;
  throw new Error(`${where}: steps do not have the expected shape`);
}
