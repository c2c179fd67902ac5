import { abortableDelay, Type } from 'tributary';
import { internalKeyHeaders } from 'tributary/http';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Id } from '@tributary/contracts';

/** What shelving answers to a checkout (its `POST /books/:bookId/checkout`); checked, as everything from another process. */
const CheckoutReply = TypeCompiler.Compile(Type.Object({ bookId: Id, requestId: Id }));

export type ShelvingAnswer = 'handed' | 'held';

/** Shelving could not be reached or kept failing: the request is refused SHELVING_UNAVAILABLE. */
export class ShelvingUnavailableError extends Error {
  constructor(readonly bookId: string, readonly attempts: number, readonly lastProblem: string) {
    super(`shelving did not answer for ${bookId} in ${attempts} attempts (last: ${lastProblem})`);
    this.name = 'ShelvingUnavailableError';
  }
}

export interface ShelvingClientOptions {
  baseUrl: string;
  /** Every instance of shelving (SHELVING_URLS, `npm start --scale`): attempts take turns over them. */
  instanceUrls?: readonly string[];
  attempts: number;
  /** Pause before the second attempt; doubled before each next one. */
  backoffMs: number;
  timeoutMs: number;
}

export interface ShelvingClient {
  /**
   * Asks shelving for a book for this request. Idempotent on shelving's side
   * (same request, same answer), which is what makes retrying, and calling
   * again after a crash, safe.
   */
  checkout(bookId: string, requestId: string, signal?: AbortSignal): Promise<ShelvingAnswer>;
}

export function createShelvingClient(options: ShelvingClientOptions): ShelvingClient {
  const instances = options.instanceUrls && options.instanceUrls.length > 0 ? options.instanceUrls : [options.baseUrl];
  let turn = 0;
  async function attempt(bookId: string, requestId: string, signal?: AbortSignal): Promise<ShelvingAnswer | string> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    // Each attempt goes to the next instance: a retry after a dead one's refusal reaches a live one.
    const base = instances[turn++ % instances.length] as string;
    let response: Response;
    try {
      response = await fetch(`${base}/books/${encodeURIComponent(bookId)}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...internalKeyHeaders() },
        body: JSON.stringify({ requestId }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
    const text = await response.text().catch(() => '');
    if (response.status === 409) return 'held';
    if (response.status === 200) {
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        return 'answered 200 with non-JSON';
      }
      if (CheckoutReply.Check(body) && body.bookId === bookId && body.requestId === requestId) return 'handed';
      return `answered 200 with an unexpected body: ${text.slice(0, 200)}`;
    }
    // 5xx is shelving's trouble; a 4xx other than 409 means we disagree on the API. Either way: not a yes.
    return `answered ${response.status}: ${text.slice(0, 200)}`;
  }

  return {
    async checkout(bookId, requestId, signal) {
      let problem = '';
      for (let i = 1; i <= options.attempts; i++) {
        // Half to all of the doubled pause: lending instances retrying at once do not come back in step.
        if (i > 1) await abortableDelay(options.backoffMs * 2 ** (i - 2) * (0.5 + Math.random() / 2), signal);
        const answer = await attempt(bookId, requestId, signal);
        if (answer === 'handed' || answer === 'held') return answer;
        problem = answer;
        signal?.throwIfAborted();
      }
      throw new ShelvingUnavailableError(bookId, options.attempts, problem);
    },
  };
}
