import { Type } from '@sinclair/typebox';
import { defineEvent } from '../events.ts';

/** The event most tests publish; shared with the child-process fixture. */
export function orderPlaced(service: string) {
  return defineEvent({
    source: service,
    type: 'OrderPlaced',
    schema: Type.Object({ n: Type.Integer({ minimum: 0 }), orderId: Type.String() }, { additionalProperties: false }),
  });
}
