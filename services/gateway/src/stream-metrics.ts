import { Gauge, type Registry } from 'prom-client';
import { allEvents } from '@tributary/contracts';
import { countDeadLetters, groupsOf, type RedisClient } from 'tributary';

/** Every service that publishes events, per the contracts. */
/** Every stream some service writes, per the contracts (event streams and command streams like `lending:requests`). */
export const OBSERVED_STREAMS: readonly string[] = [...new Set(allEvents.map((definition) => definition.stream))].sort();

/** Stream length, per-group lag and pending, and DLQ size, read from the bus at scrape time. */
export function registerStreamMetrics(registry: Registry, bus: RedisClient): void {
  const streams = OBSERVED_STREAMS;
  // prom-client asks every metric of a scrape at once; each of these gauges
  // waits for the same read of the bus, so all four show this scrape's values
  // (a collect on one gauge alone would fill the others for the next scrape).
  let reading: Promise<void> | null = null;
  const collect = () => {
    reading ??= readStreams().finally(() => {
      reading = null;
    });
    return reading;
  };
  const length = new Gauge({ name: 'tributary_stream_length', help: 'Entries in a stream', labelNames: ['stream'], registers: [registry], collect });
  const deadLetters = new Gauge({ name: 'tributary_dlq_length', help: 'Entries in a dead-letter stream', labelNames: ['stream'], registers: [registry], collect });
  const lag = new Gauge({ name: 'tributary_group_lag', help: 'Entries not yet delivered to a group', labelNames: ['stream', 'group'], registers: [registry], collect });
  const pending = new Gauge({
    name: 'tributary_group_pending',
    help: 'Entries delivered to a group and not yet acked',
    labelNames: ['stream', 'group'],
    registers: [registry],
    collect,
  });
  async function readStreams(): Promise<void> {
    await Promise.all(
      streams.map(async (stream) => {
        const [size, groups, dlq] = await Promise.all([
          bus.sendCommand<number>(['XLEN', stream]),
          groupsOf(bus, stream),
          countDeadLetters(bus, stream),
        ]);
        length.set({ stream }, Number(size));
        deadLetters.set({ stream }, dlq);
        for (const group of groups) {
          pending.set({ stream, group: group.name }, group.pending);
          if (group.lag !== null) lag.set({ stream, group: group.name }, group.lag);
        }
      }),
    );
  }
}
