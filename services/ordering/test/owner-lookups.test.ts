import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { freePort } from 'tributary/testing';
import { createHttpOwnerLookups, OwnerUnavailableError } from '../src/owner-lookups.ts';

/** Small real HTTP services standing in for accounts and the catalog. */
describe('asking accounts and the catalog over HTTP', () => {
  const running: HttpApp[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()));
  });
  async function serve(service: string, setup: (app: HttpApp) => void): Promise<string> {
    const app = createHttpApp({ service });
    setup(app);
    running.push(app);
    return app.listen({ host: '127.0.0.1', port: 0 });
  }

  it('user: 200 exists, 404 does not, anything else or nobody listening is unavailable', async () => {
    const accountsUrl = await serve('accounts', (app) => {
      app.get('/users/:id', async (request, reply) => {
        const { id } = request.params as { id: string };
        if (id === 'ada') return { id, name: 'Ada' };
        if (id === 'broken') return reply.status(500).send({ error: 'INTERNAL', message: 'boom' });
        return reply.status(404).send({ error: 'USER_NOT_FOUND', message: 'no' });
      });
    });
    const owners = createHttpOwnerLookups({ accountsUrl, catalogUrl: accountsUrl });
    expect(await owners.userExists('ada')).toBe(true);
    expect(await owners.userExists('nobody')).toBe(false);
    await expect(owners.userExists('broken')).rejects.toBeInstanceOf(OwnerUnavailableError);
    const down = createHttpOwnerLookups({ accountsUrl: `http://127.0.0.1:${await freePort()}`, catalogUrl: accountsUrl });
    await expect(down.userExists('ada')).rejects.toThrow(/accounts could not be asked/);
  });

  it('products: one lookup for all ids; only asked-for products with a valid price count; a malformed answer is unavailable', async () => {
    const asked: unknown[] = [];
    const catalogUrl = await serve('catalog', (app) => {
      app.post('/products/lookup', async (request) => {
        asked.push(request.body);
        const { ids } = request.body as { ids: string[] };
        if (ids.includes('garbled')) return { items: [{ id: 'garbled', priceCents: 'ten' }] };
        return { items: [{ id: 'tea', priceCents: 300, name: 'Tea' }, { id: 'not-asked', priceCents: 1 }] };
      });
    });
    const owners = createHttpOwnerLookups({ accountsUrl: catalogUrl, catalogUrl });
    expect(await owners.productPrices(['tea', 'ghost'])).toEqual(new Map([['tea', 300]]));
    expect(asked).toEqual([{ ids: ['tea', 'ghost'] }]);
    await expect(owners.productPrices(['garbled'])).rejects.toBeInstanceOf(OwnerUnavailableError);
  });
});
