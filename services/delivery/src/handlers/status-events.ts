import { deriveEventId, type Envelope, type EventData, type Publisher } from 'tributary';
import { DeliveryStatusChanged, type DeliveryStatus } from '@tributary/contracts';
import type { DeliveryStep } from '../domain/delivery.ts';
import type { Point } from '../domain/geo.ts';
import type { DeliveryStore } from '../store/deliveries.ts';
import type { Snapshot } from '../store/replies.ts';

/** One id per (delivery, status): every publication of a step, after a crash or by another instance, is the same event. */
export const statusEventId = (deliveryId: string, status: DeliveryStatus): string => deriveEventId(deliveryId, `status-${status}`);
export const scheduledEventId = (deliveryId: string): string => deriveEventId(deliveryId, 'scheduled');

export interface StepDetails {
  droneId?: string | null;
  position?: Point | null;
}

/** The DeliveryStatusChanged of one step, built from the delivery's state as the store replied it. */
export function statusChanged(
  publisher: Publisher,
  deliveryId: string,
  state: Pick<Snapshot, 'packageId' | 'orderId' | 'reason'>,
  step: DeliveryStep,
  details: StepDetails = {},
  causedBy?: Envelope,
): Envelope<EventData<typeof DeliveryStatusChanged>> {
  const data: EventData<typeof DeliveryStatusChanged> = {
    deliveryId,
    packageId: state.packageId,
    orderId: state.orderId,
    status: step.status,
    at: step.at,
    ...(details.droneId ? { droneId: details.droneId } : {}),
    ...(details.position ? { position: details.position } : {}),
    ...(step.status === 'FAILED' && state.reason ? { reason: state.reason } : {}),
  };
  return publisher.envelope(DeliveryStatusChanged, data, { id: statusEventId(deliveryId, step.status), ...(causedBy ? { causedBy } : {}) });
}

/** A step whose event is to be published, with what the event says besides the step. */
export interface UnsentStep {
  deliveryId: string;
  state: Pick<Snapshot, 'packageId' | 'orderId' | 'reason'>;
  step: DeliveryStep;
  details?: StepDetails;
  causedBy?: Envelope;
}

/**
 * Publishes the steps' events in one pipelined batch (`before` first), each
 * (delivery, status) once even if several replies listed it, and returns
 * what to mark sent. Marking comes after the publish: a crash in between
 * publishes the step again later, under the same id.
 */
export async function publishSteps(publisher: Publisher, steps: UnsentStep[], before: Envelope[] = []): Promise<Map<string, DeliveryStatus[]>> {
  const sent = new Map<string, DeliveryStatus[]>();
  const envelopes = [...before];
  for (const { deliveryId, state, step, details, causedBy } of steps) {
    const statuses = sent.get(deliveryId) ?? [];
    if (statuses.includes(step.status)) continue;
    statuses.push(step.status);
    sent.set(deliveryId, statuses);
    envelopes.push(statusChanged(publisher, deliveryId, state, step, details, causedBy));
  }
  if (envelopes.length > 0) await publisher.publishEnvelopes(envelopes);
  return sent;
}

/** One markSent per delivery, issued together (pipelined). */
export function markSent(deliveries: DeliveryStore, sent: Map<string, DeliveryStatus[]>): Array<Promise<void>> {
  return [...sent].map(([deliveryId, statuses]) => deliveries.markSent(deliveryId, statuses));
}
