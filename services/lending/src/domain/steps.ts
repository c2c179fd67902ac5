/**
 * The points of the processing at which the crash hook can kill the
 * process (LENDING_TEST_CRASH_AT, honoured only with TRIBUTARY_TEST_HOOKS=1).
 * The crash tests kill the service at each one and check that the restart
 * ends in the same state as a run without a crash.
 */
export const LENDING_STEPS = [
  /** SMEMBERS of the request's reserved set done (a crashed attempt's reservations recovered). */
  'reservations-recovered',
  /** A book moved from automated storage to the reserved set. */
  'reserved-from-storage',
  /** Shelving answered yes for a book, before it is added to the reserved set. */
  'fetched-from-shelving',
  /** A book from shelving added to the reserved set. */
  'reserved-from-shelving',
  /** The user's count read under WATCH, before the user's step (takeLoan). */
  'limit-checked',
  /** The user's step done: the books on the user's count and set. */
  'loan-taken',
  /** The inventory's step of an acceptance done: the books lent. */
  'books-lent',
  /** The inventory's step of a rejection done: reservations back to storage or bound for shelving. */
  'reservations-undone',
  /** The request was accepted: outcome recorded and RequestAccepted published. */
  'lending-committed',
  /** The request was rejected: outcome recorded, RequestRejected (and BooksSentToShelving) published. */
  'lending-compensated',
] as const;

export const RETURN_STEPS = [
  /** A return entry reached its handler. */
  'return-received',
  /** The user's step done: the books the user held taken off the count and set. */
  'books-given-back',
  /** The inventory's step done: the books off the lent hash, into storage or bound for shelving. */
  'return-shelved',
  /** Outcome recorded, ReturnProcessed (and BooksSentToShelving) published. */
  'return-applied',
] as const;

export const STEPS = [...LENDING_STEPS, ...RETURN_STEPS] as const;
export type Step = (typeof STEPS)[number];

export function isStep(value: string): value is Step {
  return (STEPS as readonly string[]).includes(value);
}

/** Called at each step; the crash hook kills the process there, tests may act there (e.g. SCRIPT FLUSH). */
export type StepHook = (step: Step, requestId: string) => void | Promise<void>;
