import { Type } from '@sinclair/typebox';

/** The payload most queue tests push; shared with the child-process fixture. */
export const TestJob = Type.Object({ n: Type.Integer({ minimum: 0 }), label: Type.String() }, { additionalProperties: false });
