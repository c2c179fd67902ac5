import { Gauge, type Registry } from 'prom-client';
import type { Outbox } from './outbox.ts';

/**
 * `tributary_outbox_backlog`: rows written and not yet on the bus, counted
 * at scrape time. A backlog that only grows means the relay cannot publish
 * (the bus is down, or a row is rejected) while the service keeps working.
 * The relay's rounds go to the same registry (`job="outbox-relay"`).
 */
export function registerOutboxMetrics(registry: Registry, outbox: Outbox): void {
  outbox.meterInto(registry);
  new Gauge({
    name: 'tributary_outbox_backlog',
    help: 'Outbox rows waiting to be published',
    registers: [registry],
    async collect() {
      // A scrape must not fail because the database is briefly unreachable: report nothing then.
      const backlog = await outbox.backlog().catch(() => null);
      if (backlog !== null) this.set(backlog);
    },
  });
}
