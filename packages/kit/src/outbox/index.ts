export { createOutbox, type Outbox, type OutboxOptions } from './outbox.ts';
export { registerOutboxMetrics } from './metrics.ts';
