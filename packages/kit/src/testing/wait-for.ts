export interface WaitForOptions {
  /** Give up after this many milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 25 ms). */
  intervalMs?: number;
  /** Shown in the error when the deadline passes. */
  description?: string;
  /** An error for which waiting longer is pointless: rethrown at once. */
  stopOn?: (error: unknown) => boolean;
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or the
 * deadline passes. The only sanctioned way for a test to wait: a condition
 * with a deadline, never a bare sleep.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
      if (options.stopOn?.(error)) throw error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`waitFor timed out after ${timeoutMs} ms (${options.description ?? 'condition'})${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
