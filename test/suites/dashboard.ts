import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import { waitFor } from 'tributary/testing';
import { countOf, findChromium, openBrowser, repoRoot, textOf, type TestBrowser } from '../support/browser.ts';
import { sharedSystem } from '../support/shared-system.ts';
import type { TestSystem } from '../support/system.ts';

const TERMINAL = ['COMPLETED_SUCCESSFULLY', 'BLOCKED_NO_FUNDS', 'COMPLETED_WITH_FAILURE'];
const chromiumPath = findChromium();
if (!chromiumPath) {
  console.warn('dashboard e2e skipped: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)');
}

/**
 * The operator's dashboard in a real headless Chromium against the whole
 * system (every service a real process), served by the gateway at `/`.
 * One browser page goes through the pages as a person would; a screenshot
 * of each lands in test-output/screenshots/.
 */
describe.skipIf(!chromiumPath)('the dashboard in a browser', () => {
  let t: TestSystem;
  let b: TestBrowser;
  let bus: RedisClient;
  let orderId = '';

  beforeAll(async () => {
    // `npm test` builds it first; a bare `vitest run` on a fresh clone builds it here.
    if (!existsSync(join(repoRoot, 'apps', 'dashboard', 'dist', 'index.html'))) {
      execFileSync('npm', ['run', 'build', '--silent', '-w', '@tributary/dashboard'], { cwd: repoRoot, stdio: 'inherit' });
    }
    t = sharedSystem();
    bus = await connectRedis(t.bus.url);
    b = await openBrowser(chromiumPath as string);
    // The operator signs in with the admin key, as a person would: the views and live feeds then open.
    await b.page.goto(`${t.system.gatewayUrl}/`);
    await waitFor(async () => (await textOf(b.page, 'admin-state')) === 'key needed', { timeoutMs: 30_000, description: 'the dashboard asks for the key' });
    await b.page.fill('[data-testid="admin-key"]', t.system.adminKey as string);
    // Signing in reloads the page, so the views that were refused load again.
    await Promise.all([b.page.waitForEvent('load'), b.page.press('[data-testid="admin-key"]', 'Tab')]);
    await waitFor(async () => (await textOf(b.page, 'admin-state')) === 'signed in', { timeoutMs: 30_000, description: 'the dashboard signed in' });
    // The views' 401s before the sign-in were the point of it; what counts is what comes after.
    b.problems.length = 0;
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await bus?.close();
  });

  const go = async (path: string) => {
    await b.page.goto(`${t.system.gatewayUrl}/#/${path}`);
    await b.page.waitForSelector(`[data-testid="page-${path}"]`);
  };

  it('shows every service up', async () => {
    await b.page.goto(`${t.system.gatewayUrl}/`);
    const services = await t.api<{ services: Array<{ name: string }> }>('GET', '/api/system/services');
    expect(services.status).toBe(200);
    const names = services.body.services.map((service) => service.name);
    expect(names).toContain('gateway');
    expect(names).toContain('ordering');
    await waitFor(
      async () => {
        for (const name of names) if ((await textOf(b.page, `service-status-${name}`)) !== 'up') return false;
        return true;
      },
      { timeoutMs: 30_000, description: `every service shown up: ${names.join(', ')}` },
    );
    expect(await textOf(b.page, 'services-summary')).toBe(`${names.length} of ${names.length} up`);
    await b.screenshot('services');
  });

  it('places an order from the orders page and follows its saga to the end', async () => {
    await go('orders');
    await b.page.getByTestId('demo-order-submit').click();
    const status = await waitFor(
      async () => {
        const shown = await textOf(b.page, 'order-status');
        return shown && TERMINAL.includes(shown) ? shown : null;
      },
      { timeoutMs: 90_000, description: 'the order reaches a terminal status on the page' },
    );
    expect(status).toBe('COMPLETED_SUCCESSFULLY');
    orderId = new URLSearchParams(new URL(b.page.url()).hash.split('?')[1] ?? '').get('id') ?? '';
    expect(orderId).not.toBe('');
    // ordering's status transitions, from the first to the terminal one.
    await waitFor(async () => (await countOf(b.page, 'timeline-status')) >= 3, { timeoutMs: 15_000, description: 'status transitions on the timeline' });
    await b.screenshot('orders');
  });

  it("shows the saga's events across services on the timeline, and its trace", async () => {
    await go('orders');
    await b.page.getByTestId('order-search-input').fill(orderId);
    await b.page.getByTestId('order-search-button').click();
    await waitFor(async () => (await countOf(b.page, 'timeline-step')) >= 3, { timeoutMs: 15_000, description: 'timeline steps (events of the order)' });
    const services = await b.page.$$eval('[data-testid="timeline-step"] td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent));
    expect(new Set(services).size).toBeGreaterThan(1);
    await b.page.getByTestId('trace-toggle').click();
    await waitFor(async () => (await countOf(b.page, 'trace-span')) > 0, { timeoutMs: 15_000, description: 'spans of the trace' });
    await b.screenshot('orders');
  });

  it('lists a dead letter and replays it', async () => {
    // No type, no payload: every group on the stream fails to decode it and dead-letters it at once.
    const entryId = await bus.sendCommand<string>(['XADD', 'ordering:events', '*', 'garbage', 'from the e2e test']);
    await go('dead-letters');
    const letterId = await waitFor(
      () => b.page.evaluate((original) => document.querySelector(`[data-testid="dead-letter-row"][data-original-id="${original}"]`)?.getAttribute('data-id') ?? null, entryId),
      { timeoutMs: 30_000, description: `a dead letter of ${entryId} on the page` },
    );
    await b.screenshot('dead-letters');
    await b.page.getByTestId(`replay-${letterId}`).click();
    await waitFor(
      () => b.page.evaluate((id) => document.querySelector(`[data-testid="dead-letter-row"][data-id="${id}"]`) === null, letterId),
      { timeoutMs: 15_000, description: `dead letter ${letterId} leaves the list` },
    );
    expect(await textOf(b.page, 'replay-message')).toContain('1 dead letter of ordering:events');
  });

  it('shows streams, live events, deliveries and lending', async () => {
    await go('streams');
    await waitFor(async () => (await countOf(b.page, 'stream-ordering:events')) === 1, { description: 'the ordering stream listed' });
    // Two polls give a throughput point.
    await waitFor(async () => (await b.page.locator('.spark polyline').count()) > 0, { timeoutMs: 15_000, description: 'a throughput line' });
    await b.screenshot('streams');

    await go('events');
    await waitFor(async () => (await textOf(b.page, 'events-state')) === 'open', { description: 'the live feed connected' });
    // New events after subscribing: a product created through the API.
    await t.api('POST', '/api/products', { sku: 'E2E-LIVE', name: 'Live tea', priceCents: 100, stock: 5, bannedCountries: [] });
    await waitFor(async () => (await countOf(b.page, 'event-row')) > 0, { timeoutMs: 15_000, description: 'a live event row' });
    await b.page.getByTestId('events-stream').selectOption('catalog:events');
    await waitFor(async () => (await countOf(b.page, 'event-row')) > 0, { description: 'rows kept after filtering' });
    await b.screenshot('events');

    const order = await t.api<{ deliveryId: string | null }>('GET', `/api/orders/${orderId}`);
    const deliveryId = await waitFor(
      async () => (await t.api<{ deliveryId: string | null }>('GET', `/api/orders/${orderId}`)).body.deliveryId ?? order.body.deliveryId,
      { timeoutMs: 30_000, description: 'the order has a delivery' },
    );
    await b.page.goto(`${t.system.gatewayUrl}/#/deliveries?id=${deliveryId}`);
    await waitFor(async () => (await textOf(b.page, 'positions-state'))?.includes('open'), { description: 'live positions connected' });
    await waitFor(async () => (await countOf(b.page, 'delivery-step')) > 0, { timeoutMs: 15_000, description: 'the delivery history' });
    expect(await textOf(b.page, 'delivery-status')).toBeTruthy();
    // The queue for a drone, as the delivery service counts it (a whole number, whatever the fleet is doing).
    await waitFor(async () => /^\d+$/.test((await textOf(b.page, 'drone-queue-waiting')) ?? ''), { description: 'the queue for a drone shown' });
    await b.screenshot('deliveries');

    const lend = await t.api<{ requestId: string }>('POST', '/api/lending/requests', { userId: 'Salvatore', bookIds: ['ofmiceandmen'] });
    expect(lend.status).toBe(202);
    await go('lending');
    await waitFor(async () => (await countOf(b.page, 'lending-row')) > 0, { timeoutMs: 30_000, description: 'a lending request listed' });
    await b.screenshot('lending');

    // A 404 is an answer the pages expect (a finished delivery has no live record); anything else is a fault.
    expect(b.problems.filter((problem) => !problem.startsWith('HTTP 404 '))).toEqual([]);
  });
});
