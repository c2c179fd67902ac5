/**
 * Head sampling: whether a trace is recorded is decided once, where it
 * starts, and carried in the traceparent's sampled flag; everything after
 * follows its parent. Set by `initTracing`; without tracing every new trace
 * says "sampled", as envelopes always did.
 */
let ratio = 1;
/** New traces recorded per second at most, in this process (Infinity: no cap). */
let maxPerSecond = Infinity;
// A token bucket holding up to one second's worth: a burst of a few orders is
// traced whole, a saturated system records a steady few traces a second.
let tokens = 0;
let refilledAt = 0;

export function setSampleRatio(value: number, perSecond = Infinity): void {
  ratio = value;
  maxPerSecond = perSecond > 0 ? perSecond : Infinity;
  tokens = maxPerSecond === Infinity ? 0 : maxPerSecond;
  refilledAt = performance.now();
}

export function sampleRatio(): number {
  return ratio;
}

function takeToken(): boolean {
  if (maxPerSecond === Infinity) return true;
  const now = performance.now();
  tokens = Math.min(maxPerSecond, tokens + ((now - refilledAt) * maxPerSecond) / 1000);
  refilledAt = now;
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

/**
 * The decision for a trace that starts here (no parent): the ratio's share of
 * new traces, and of those no more than the cap per second. The cap keeps
 * what recording costs bounded at saturation, where a tenth of all orders
 * would be tens of recorded traces a second (docs/kit/telemetry.md).
 */
export function sampleNewTrace(): boolean {
  if (ratio <= 0) return false;
  if (ratio < 1 && Math.random() >= ratio) return false;
  return takeToken();
}

/** The sampled flag of a W3C traceparent (`00-<trace>-<span>-<flags>`); an unreadable one counts as sampled. */
export function traceparentSampled(traceparent: string): boolean {
  if (traceparent.length !== 55) return true;
  const flags = parseInt(traceparent.slice(53), 16);
  return Number.isNaN(flags) || (flags & 1) === 1;
}
