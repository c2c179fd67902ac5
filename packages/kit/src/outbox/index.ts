export { createOutbox, type Emit, type Outbox, type OutboxOptions, type OutboxRoute, type OutboxRow, type TransactionOptions } from './outbox.ts';
export { registerOutboxMetrics } from './metrics.ts';
