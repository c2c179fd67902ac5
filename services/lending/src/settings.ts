import { Type, type Static } from '@sinclair/typebox';
import { readSettings } from 'tributary/settings';
import { isStep, type Step } from './domain/steps.ts';

/**
 * The numeric knobs an operator can tune through the environment, with the
 * defaults. The shelving URLs are read by hand below: they are a service
 * address (required, http(s) only, a comma-separated list for --scale), not
 * a knob with a default.
 */
export const lendingSettingsSchema = Type.Object({
  maxBooksPerUser: Type.Integer({ env: 'LENDING_MAX_BOOKS_PER_USER', default: 5, minimum: 1, description: 'A request that would take a user over this many books is refused whole.' }),
  // 0 is allowed: no automated storage, every book comes from and goes back to shelving.
  storageCapacity: Type.Integer({ env: 'LENDING_STORAGE_CAPACITY', default: 20, minimum: 0, description: 'Books the automated short-term storage holds; the rest go back to shelving (0: none).' }),
  shelvingAttempts: Type.Integer({ env: 'LENDING_SHELVING_ATTEMPTS', default: 3, minimum: 1, description: 'Calls to shelving per book before the request is refused SHELVING_UNAVAILABLE.' }),
  shelvingBackoffMs: Type.Integer({ env: 'LENDING_SHELVING_BACKOFF_MS', default: 100, minimum: 1, description: 'Pause before the second call to shelving, doubled before each next one (each pause drawn from half to all of it).' }),
  shelvingTimeoutMs: Type.Integer({ env: 'LENDING_SHELVING_TIMEOUT_MS', default: 2_000, minimum: 1, description: 'One call to shelving gives up after this long.' }),
  outcomeTtlSeconds: Type.Integer({ env: 'LENDING_OUTCOME_TTL_SECONDS', default: 7 * 24 * 60 * 60, minimum: 1, description: 'How long GET /requests/:id can report a decided request.' }),
  claimIdleMs: Type.Integer({ env: 'LENDING_CLAIM_IDLE_MS', default: 30_000, minimum: 100, description: 'A request pending this long on a dead instance is taken over by a live one.' }),
  // release.ts: the operator's time to replay a dead-lettered request before its books go back.
  releaseAfterMs: Type.Integer({ env: 'LENDING_RELEASE_AFTER_MS', default: 60 * 60 * 1000, minimum: 1, description: 'A lending request dead-lettered this long ago and not replayed is rejected HANDLING_FAILED and its reserved books released.' }),
});

export interface LendingSettings extends Static<typeof lendingSettingsSchema> {
  /** SHELVING_URL: base URL of the shelving service (npm start sets it). */
  shelvingUrl: string;
  /** SHELVING_URLS: every instance of shelving, comma-separated (`npm start --scale`); empty for one. */
  shelvingUrls?: string[];
}

export const lendingSettingsDefaults: Static<typeof lendingSettingsSchema> = readSettings(lendingSettingsSchema, {});

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
  return {
    ...readSettings(lendingSettingsSchema, env),
    shelvingUrl: baseUrl(env, 'SHELVING_URL'),
    ...(env.SHELVING_URLS ? { shelvingUrls: env.SHELVING_URLS.split(',').filter((url) => url.trim() !== '').map((url) => baseUrl({ SHELVING_URLS: url.trim() }, 'SHELVING_URLS')) } : {}),
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
