export { createOutbox, type Emit, type Outbox, type OutboxOptions, type OutboxRoute, type OutboxRow } from './outbox.ts';
export { registerOutboxMetrics } from './metrics.ts';
