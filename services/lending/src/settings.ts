import { isStep, type Step } from './domain/steps.ts';

/** What an operator can tune through the environment, with the defaults. */
export interface LendingSettings {
  /** LENDING_MAX_BOOKS_PER_USER: a request that would take a user over this many books is refused whole. */
  maxBooksPerUser: number;
  /** LENDING_STORAGE_CAPACITY: books the automated short-term storage holds; the rest go back to shelving. */
  storageCapacity: number;
  /** SHELVING_URL: base URL of the shelving service (npm start sets it). */
  shelvingUrl: string;
  /** SHELVING_URLS: every instance of shelving, comma-separated (`npm start --scale`); empty for one. */
  shelvingUrls?: string[];
  /** LENDING_SHELVING_ATTEMPTS: calls to shelving per book before the request is refused SHELVING_UNAVAILABLE. */
  shelvingAttempts: number;
  /** LENDING_SHELVING_BACKOFF_MS: pause before the second call to shelving, doubled before each next one (each pause drawn from half to all of it). */
  shelvingBackoffMs: number;
  /** LENDING_SHELVING_TIMEOUT_MS: one call to shelving gives up after this long. */
  shelvingTimeoutMs: number;
  /** LENDING_OUTCOME_TTL_SECONDS: how long GET /requests/:id can report a decided request. */
  outcomeTtlSeconds: number;
  /** LENDING_CLAIM_IDLE_MS: a request pending this long on a dead instance is taken over by a live one. */
  claimIdleMs: number;
  /**
   * LENDING_RELEASE_AFTER_MS: a lending request dead-lettered this long ago
   * and not replayed is rejected HANDLING_FAILED and its reserved books go
   * back to storage or shelving (release.ts). The operator's time to replay it.
   */
  releaseAfterMs: number;
}

export const lendingSettingsDefaults: Omit<LendingSettings, 'shelvingUrl' | 'shelvingUrls'> = {
  maxBooksPerUser: 5,
  storageCapacity: 20,
  shelvingAttempts: 3,
  shelvingBackoffMs: 100,
  shelvingTimeoutMs: 2_000,
  outcomeTtlSeconds: 7 * 24 * 60 * 60,
  claimIdleMs: 30_000,
  releaseAfterMs: 60 * 60 * 1000,
};

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) throw new Error(`lending: ${name} must be a whole number >= ${minimum}, got "${raw}"`);
  return value;
}

function baseUrl(env: NodeJS.ProcessEnv, name: string): string {
  const raw = env[name];
  if (!raw) throw new Error(`lending: ${name} is not set (npm start sets it)`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`lending: ${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`lending: ${name} must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

export function readLendingSettings(env: NodeJS.ProcessEnv = process.env): LendingSettings {
  const d = lendingSettingsDefaults;
  return {
    maxBooksPerUser: positiveInteger(env, 'LENDING_MAX_BOOKS_PER_USER', d.maxBooksPerUser),
    // 0 is allowed: no automated storage, every book comes from and goes back to shelving.
    storageCapacity: positiveInteger(env, 'LENDING_STORAGE_CAPACITY', d.storageCapacity, 0),
    shelvingUrl: baseUrl(env, 'SHELVING_URL'),
    ...(env.SHELVING_URLS ? { shelvingUrls: env.SHELVING_URLS.split(',').filter((url) => url.trim() !== '').map((url) => baseUrl({ SHELVING_URLS: url.trim() }, 'SHELVING_URLS')) } : {}),
    shelvingAttempts: positiveInteger(env, 'LENDING_SHELVING_ATTEMPTS', d.shelvingAttempts),
    shelvingBackoffMs: positiveInteger(env, 'LENDING_SHELVING_BACKOFF_MS', d.shelvingBackoffMs),
    shelvingTimeoutMs: positiveInteger(env, 'LENDING_SHELVING_TIMEOUT_MS', d.shelvingTimeoutMs),
    outcomeTtlSeconds: positiveInteger(env, 'LENDING_OUTCOME_TTL_SECONDS', d.outcomeTtlSeconds),
    claimIdleMs: positiveInteger(env, 'LENDING_CLAIM_IDLE_MS', d.claimIdleMs, 100),
    releaseAfterMs: positiveInteger(env, 'LENDING_RELEASE_AFTER_MS', d.releaseAfterMs),
  };
}

/**
 * The crash hook's step: LENDING_TEST_CRASH_AT, honoured only when
 * TRIBUTARY_TEST_HOOKS=1 so a stray variable in production does nothing.
 */
export function readCrashStep(env: NodeJS.ProcessEnv = process.env): Step | null {
  const raw = env.LENDING_TEST_CRASH_AT;
  if (env.TRIBUTARY_TEST_HOOKS !== '1' || !raw) return null;
  if (!isStep(raw)) throw new Error(`lending: LENDING_TEST_CRASH_AT must be a step of src/domain/steps.ts, got "${raw}"`);
  return raw;
}
