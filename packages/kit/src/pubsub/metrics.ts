import { Counter, type Registry } from 'prom-client';

export type PubSubOutcome = 'published' | 'dropped' | 'received' | 'invalid' | 'failed';

/**
 * One counter for every message outcome. Looked up before it is created so
 * several publishers and subscribers can share one registry.
 */
export function pubsubCounter(registry: Registry | undefined): (channel: string, outcome: PubSubOutcome) => void {
  if (!registry) return () => undefined;
  const name = 'tributary_pubsub_messages_total';
  const counter =
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({
      name,
      help: 'Pub/sub messages by channel and outcome (published, dropped while disconnected, received, invalid, handler failed)',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    });
  return (channel, outcome) => counter.inc({ channel, outcome });
}
