// `npm run screenshots`: starts a Hookyard on a temporary SQLite file, fills it with a quarter of an hour of traffic
// (healthy, slow and failing endpoints, received webhooks in several states), and saves the dashboard's main views
// to docs/screenshots/ for the README and docs/dashboard.md. Needs Chromium, as the browser tests do.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { ensureDashboardBuilt, launchBrowser, openPage, skipUnlessChromium } from '../test/helpers/browser.js';
import { startReceiver } from '../test/helpers/receiver.js';
import { startTestServer } from '../test/helpers/server.js';

const out = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const MINUTE = 60_000;

if (skipUnlessChromium()) process.exit(1);
ensureDashboardBuilt();
await mkdir(out, { recursive: true });

// The server's clock runs behind while the history is made, so the traffic spreads over the last 15 minutes.
let offset = 0;
const server = await startTestServer({ store: 'sqlite', now: () => Date.now() + offset, overrides: { circuitBreakerThreshold: 5, apiRateLimit: 0, publicRateLimit: 0 } });
const healthy = await startReceiver((_request, index) => ({ status: 200, body: '{"received":true}', delayMs: 15 + ((index * 37) % 90) }));
const failing = await startReceiver(() => ({ status: 503, body: '{"error":"maintenance"}' }));
const browser = await launchBrowser();

try {
  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await server.request(method, path, { body });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
    return answer.body;
  };

  await call('POST', '/api/v1/event-type', {
    name: 'invoice.paid',
    description: 'An invoice was paid',
    schemas: {
      '1': { type: 'object', required: ['invoice'], properties: { invoice: { type: 'string' }, amount: { type: 'integer' } }, examples: [{ invoice: 'in_1', amount: 1200 }] },
    },
  });
  await call('POST', '/api/v1/event-type', { name: 'user.signup', description: 'A user signed up' });
  const acme = await call('POST', '/api/v1/app', { name: 'Acme Corp', uid: 'acme' });
  await call('POST', '/api/v1/app', { name: 'Globex', uid: 'globex' });
  await call('POST', '/api/v1/app/acme/endpoint', { url: `${healthy.url}/billing`, description: 'Billing service' });
  await call('POST', '/api/v1/app/acme/endpoint', { url: `${healthy.url}/crm`, description: 'CRM sync', filterTypes: ['user.signup'] });
  const legacy = await call('POST', '/api/v1/app/acme/endpoint', {
    url: `${failing.url}/legacy`,
    description: 'Legacy ERP (down for maintenance)',
    headers: { Authorization: 'Bearer legacy-erp-token' },
  });
  await call('POST', '/api/v1/app/globex/endpoint', { url: `${healthy.url}/globex`, description: 'Globex webhooks' });

  let sample: { id: string } | null = null;
  for (let minute = 14; minute >= 0; minute--) {
    offset = -minute * MINUTE;
    const burst = 3 + ((minute * 7) % 6);
    for (let index = 0; index < burst; index++) {
      const eventType = index % 3 === 0 ? 'user.signup' : 'invoice.paid';
      const payload = eventType === 'user.signup' ? { user: `usr_${minute}${index}`, plan: 'pro' } : { invoice: `in_${minute}${index}`, amount: 1200 + index * 100 };
      const message = await call('POST', `/api/v1/app/acme/msg`, { eventType, payload, eventId: `evt-${minute}-${index}` });
      sample ??= minute <= 3 ? message : null;
    }
    await call('POST', '/api/v1/app/globex/msg', { eventType: 'user.signup', payload: { user: `g_${minute}` } });
    await healthy.waitFor((requests) => requests.length > 0, 10_000);
  }
  offset = 0;

  const source = await call('POST', '/ingest/api/v1/source', {
    name: 'Shop orders',
    uid: 'shop',
    type: 'generic-webhook',
    schemas: { 'order.created': { type: 'object', required: ['id', 'total'] } },
  });
  await call('POST', '/ingest/api/v1/source/shop/endpoint', { url: `${healthy.url}/orders` });
  await call('POST', '/ingest/api/v1/source/shop/endpoint', { url: `${failing.url}/warehouse` });
  const bodies = [
    '{"type":"order.created","id":1001,"total":42}',
    '{"type":"order.created","id":1002,"total":17}',
    '{"type":"order.created","id":1002,"total":17}',
    '{"type":"order.created","id":1003}',
    '{"type":"order.paid","id":1001}',
    '{"type":"order.created","id":1004,"total":99}',
  ];
  for (const body of bodies) await fetch(source.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await healthy.waitFor((requests) => requests.filter((request) => request.path === '/orders').length >= 4, 10_000);
  const key = await call('POST', '/api/v1/api-key', { name: 'screenshots', scopes: ['admin'] });

  const shoot = async (page: Page, name: string, fullPage = true) => {
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${out}${name}.png`, fullPage });
    console.log(`docs/screenshots/${name}.png`);
  };
  const { page } = await openPage(browser, { width: 1360, height: 900 });
  page.setDefaultTimeout(20_000);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${server.url}/dashboard`);
  await shoot(page, 'sign-in');
  await page.getByLabel('API key', { exact: true }).fill(key.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Last 15 minutes' }).click();
  await page.getByRole('table', { name: 'Failing endpoints' }).waitFor();
  await shoot(page, 'overview');

  await page.goto(`${server.url}/dashboard/apps/${acme.id}`);
  await page.getByRole('table', { name: 'Endpoints' }).getByText('open').waitFor();
  await shoot(page, 'endpoints');

  await page.goto(`${server.url}/dashboard/apps/${acme.id}/endpoints/${legacy.id}`);
  await page.getByRole('table', { name: 'Attempts' }).waitFor();
  await page.getByRole('table', { name: 'Attempts' }).getByRole('button', { name: 'Details' }).first().click();
  await shoot(page, 'endpoint');

  await page.goto(`${server.url}/dashboard/apps/${acme.id}/messages/${sample!.id}`);
  await page.getByRole('table', { name: 'Attempts' }).waitFor();
  await shoot(page, 'message-attempts');

  await page.goto(`${server.url}/dashboard/sources/${source.id}`);
  await page.getByRole('table', { name: 'Events' }).getByText('quarantined').waitFor();
  await shoot(page, 'inbound-events');

  const portalLink = await call('POST', '/api/v1/auth/app-portal-access/acme', {});
  const { page: portal } = await openPage(browser, { width: 1100, height: 760 });
  await portal.goto(portalLink.url);
  await portal.getByRole('table', { name: 'Endpoints' }).waitFor();
  await shoot(portal, 'portal');

  const { page: phone } = await openPage(browser, { width: 390, height: 844 });
  const phoneLink = await call('POST', '/api/v1/auth/app-portal-access/acme', {});
  await phone.goto(phoneLink.url);
  await phone.getByRole('link', { name: `${healthy.url}/billing` }).click();
  await phone.getByRole('table', { name: 'Attempts' }).waitFor();
  await shoot(phone, 'portal-phone', false);
} finally {
  await browser.close();
  await healthy.close();
  await failing.close();
  await server.close();
}
