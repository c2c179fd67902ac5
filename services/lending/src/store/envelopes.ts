import { childTraceparent, deriveEventId, type Envelope, type EventDefinition } from 'tributary';
import { activeTraceparent } from 'tributary/telemetry';
import { SERVICE } from './keys.ts';

/**
 * An event's envelope without its data, as the flat list the scripts pass
 * to XADD (the kit's field names and order, `data` last). The scripts add
 * the data because part of it (which books were lent, which went back to
 * shelving) is only known inside them.
 *
 * The id is derived from the request id, so whichever attempt or instance
 * publishes the outcome, it carries the same event id.
 */
export function envelopeHeader(definition: EventDefinition, cause: Envelope, requestId: string, discriminator: string, time: string): string[] {
  if (definition.source !== SERVICE) throw new Error(`lending cannot publish ${definition.type} of ${definition.source}`);
  return [
    deriveEventId(requestId, discriminator),
    definition.type,
    String(definition.version),
    time,
    SERVICE,
    cause.correlationId,
    cause.id,
    // The handler's span when tracing is on, so the outcome joins the request's trace.
    activeTraceparent() ?? childTraceparent(cause.traceparent),
  ];
}
