/**
 * Head sampling: whether a trace is recorded is decided once, where it
 * starts, and carried in the traceparent's sampled flag; everything after
 * follows its parent. Set by `initTracing`; without tracing every new trace
 * says "sampled", as envelopes always did.
 */
let ratio = 1;

export function setSampleRatio(value: number): void {
  ratio = value;
}

export function sampleRatio(): number {
  return ratio;
}

/** The decision for a trace that starts here (no parent). */
export function sampleNewTrace(): boolean {
  return ratio >= 1 || (ratio > 0 && Math.random() < ratio);
}

/** The sampled flag of a W3C traceparent (`00-<trace>-<span>-<flags>`); an unreadable one counts as sampled. */
export function traceparentSampled(traceparent: string): boolean {
  if (traceparent.length !== 55) return true;
  const flags = parseInt(traceparent.slice(53), 16);
  return Number.isNaN(flags) || (flags & 1) === 1;
}
