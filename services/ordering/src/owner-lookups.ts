import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Cents, Id } from '@tributary/contracts';
import { Type } from 'tributary';
import { internalKeyHeaders } from 'tributary/http';
import { traceHeaders } from 'tributary/telemetry';

/**
 * The services that own users and products, asked only when ordering's own
 * copies have not heard of one yet (a user or product created a moment ago,
 * before its event was handled). Both answers come from the owner's table.
 */
export interface OwnerLookups {
  /** Whether accounts has this user. */
  userExists(userId: string): Promise<boolean>;
  /** The catalog's current price of each of these products that exists; the others are absent. */
  productPrices(productIds: readonly string[]): Promise<Map<string, number>>;
}

/** An owner could not be reached or answered nonsense: the order is neither accepted nor refused (503). */
export class OwnerUnavailableError extends Error {
  constructor(readonly owner: 'accounts' | 'catalog', problem: string) {
    super(`${owner} could not be asked (${problem})`);
    this.name = 'OwnerUnavailableError';
  }
}

export interface OwnerUrls {
  /** Base URL of accounts (ACCOUNTS_URL). */
  accountsUrl: string;
  /** Base URL of the catalog (CATALOG_URL). */
  catalogUrl: string;
  /** One call gives up after this long (default 2 s). */
  timeoutMs?: number;
}

/** What the catalog's POST /products/lookup answers, as far as ordering reads it; checked, as everything from another process. */
const LookupReply = TypeCompiler.Compile(Type.Object({ items: Type.Array(Type.Object({ id: Id, priceCents: Cents })) }));

/** The owners' HTTP APIs: accounts' GET /users/:id and the catalog's POST /products/lookup (one call for all ids). */
export function createHttpOwnerLookups(urls: OwnerUrls): OwnerLookups {
  const timeoutMs = urls.timeoutMs ?? 2_000;
  async function call(owner: 'accounts' | 'catalog', url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      // The active span's traceparent: the owner's request span joins the order's trace.
      response = await fetch(url, { ...init, headers: { ...traceHeaders(), ...internalKeyHeaders(), ...init.headers }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new OwnerUnavailableError(owner, `${(error as Error).name}: ${(error as Error).message}`);
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 500) throw new OwnerUnavailableError(owner, `answered ${response.status}`);
    try {
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
    } catch {
      throw new OwnerUnavailableError(owner, `answered ${response.status} with non-JSON`);
    }
  }
  return {
    async userExists(userId) {
      const answer = await call('accounts', `${urls.accountsUrl}/users/${encodeURIComponent(userId)}`, { method: 'GET' });
      if (answer.status === 200) return true;
      if (answer.status === 404) return false;
      throw new OwnerUnavailableError('accounts', `answered ${answer.status}`);
    },
    async productPrices(productIds) {
      const answer = await call('catalog', `${urls.catalogUrl}/products/lookup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids: productIds }),
      });
      if (answer.status !== 200 || !LookupReply.Check(answer.body)) throw new OwnerUnavailableError('catalog', `answered ${answer.status} with an unexpected body`);
      const wanted = new Set(productIds);
      return new Map(answer.body.items.filter((item) => wanted.has(item.id)).map((item) => [item.id, item.priceCents]));
    },
  };
}
