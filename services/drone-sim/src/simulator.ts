import { deriveEventId, type Envelope, type Publisher } from 'tributary';
import type { Logger } from 'tributary/service';
import { DroneTelemetry } from '@tributary/contracts';
import type { DueReading, Fleet } from './domain/fleet.ts';

/** The DeliveryScheduled a flight answers: its readings carry its correlation and trace. */
export type FlightCause = Envelope<unknown>;

export interface Simulator {
  start(): void;
  /** Stops the clock and waits for the tick being written, if any. */
  close(): Promise<void>;
}

export interface SimulatorOptions {
  fleet: Fleet<FlightCause>;
  publisher: Publisher;
  tickMs: number;
  logger: Logger;
  /** Called with the number of readings of every tick written (metrics). */
  onPublished?: (count: number) => void;
}

/** Same flight, same seq, same id: a reading written twice is dropped by consumers that dedupe by id. */
export const telemetryEventId = (deliveryId: string, seq: number) => deriveEventId(deliveryId, `telemetry-${seq}`);

function envelopeOf(publisher: Publisher, due: DueReading<FlightCause>, at: string) {
  const { reading } = due;
  return publisher.envelope(
    DroneTelemetry,
    {
      droneId: due.droneId,
      deliveryId: due.deliveryId,
      seq: reading.seq,
      // Wall time of the tick: never in the future, whatever DRONE_TIME_SCALE says.
      at,
      position: { lat: reading.position.lat, lon: reading.position.lon },
      batteryPct: reading.batteryPct,
      speedMps: reading.speedMps,
      phase: reading.phase,
      ...(reading.failure ? { failure: reading.failure } : {}),
    },
    { id: telemetryEventId(due.deliveryId, reading.seq), causedBy: due.cause },
  );
}

/**
 * The clock of the fleet: every `tickMs` it writes the next reading of every
 * flight in one pipelined batch, and only then moves the drones on. A tick
 * that fails (or finds the bus down) moves nothing, so the next one sends
 * the same readings again under the same ids. Ticks never overlap: the next
 * is scheduled when the current one is done.
 */
export function createSimulator(options: SimulatorOptions): Simulator {
  const { fleet, publisher, tickMs, logger } = options;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function tick() {
    if (!publisher.isConnected()) return;
    const due = fleet.due();
    if (due.length === 0) return;
    try {
      const at = new Date().toISOString();
      await publisher.publishEnvelopes(due.map((item) => envelopeOf(publisher, item, at)));
      fleet.commit(due);
      options.onPublished?.(due.length);
    } catch (error) {
      logger.warn({ err: error, readings: due.length }, 'telemetry tick not written; the same readings go again next tick');
    }
  }

  function schedule(delayMs: number) {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      const startedAt = Date.now();
      running = tick().finally(() => {
        running = null;
        schedule(Math.max(0, tickMs - (Date.now() - startedAt)));
      });
    }, delayMs);
  }

  return {
    start() {
      if (stopped || timer || running) return;
      schedule(tickMs);
    },
    async close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
