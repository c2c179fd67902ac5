/** The two limits a delivery in flight is held to (DELIVERY_SILENCE_TIMEOUT_MS, DELIVERY_DRONE_WAIT_TIMEOUT_MS). */
export interface DeadlineRule {
  /** A delivery a drone has reported on, not heard from for this long, is lost (DRONE_LOST). */
  silenceTimeoutMs: number;
  /** A delivery no drone has reported on yet waits in the queue this long at most (NO_DRONE_AVAILABLE). */
  droneWaitTimeoutMs: number;
}

export const deadlineRuleDefaults: DeadlineRule = { silenceTimeoutMs: 60_000, droneWaitTimeoutMs: 600_000 };

/**
 * When the watchdog must next look at a delivery, from its state: `seq` -1
 * means no reading yet (queued for a drone, `heardAtMs` is its creation),
 * otherwise `heardAtMs` is when its last reading was applied. Waiting is not
 * silence: only the wait limit applies until a drone reports.
 */
export function nextDeadline(state: { seq: number; heardAtMs: number }, rule: DeadlineRule): number {
  return state.heardAtMs + (state.seq < 0 ? rule.droneWaitTimeoutMs : rule.silenceTimeoutMs);
}
