/** Runs work one at a time, in call order; `idle()` settles once everything queued so far has. */
export interface SerialQueue {
  <T>(work: () => Promise<T>): Promise<T>;
  idle(): Promise<void>;
}

/**
 * Runs the functions it is given one after another, in call order, each
 * starting when the one before settled (a failure does not stop the line).
 * For state that allows one user at a time: a connection's WATCH, or an
 * outbox whose rows must reach the stream in commit order.
 */
export function createSerialQueue(): SerialQueue {
  let chain: Promise<unknown> = Promise.resolve();
  const queue = <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(work, work);
    chain = run.catch(() => undefined);
    return run;
  };
  return Object.assign(queue, { idle: () => chain.then(() => undefined) });
}
