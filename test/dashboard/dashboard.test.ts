import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually } from '../delivery/support.js';
import { ensureDashboardBuilt, launchBrowser, openPage, skipUnlessChromium } from '../helpers/browser.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The tab's sessionStorage as JSON entries (evaluated in the page, whose globals this file's types do not know). */
const readSessionStorage = (page: Page) => page.evaluate<string>('JSON.stringify(Object.entries(sessionStorage))');

/**
 * The dashboard in a real browser against a real Hookyard: every step is what a person does (labels, roles, buttons),
 * and every wait is for a condition on the page or at the receiver, never for a length of time.
 */
describe('dashboard and consumer portal in Chromium', { skip: skipUnlessChromium(), timeout: 180_000 }, () => {
  let server: TestServer;
  let receiver: Receiver;
  /** A receiver that is down: every request gets a 500. */
  let broken: Receiver;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let apiKey: string;
  /** The bearer token of the operator page's latest API call. */
  let lastAccessToken: string | null = null;
  const hookUrl = () => `${receiver.url}/hook`;

  before(async () => {
    ensureDashboardBuilt();
    [server, receiver, broken, browser] = await Promise.all([
      startTestServer(),
      startReceiver(),
      startReceiver(() => ({ status: 500, body: '{"error":"down"}' })),
      launchBrowser(),
    ]);
    apiKey = (await server.request('POST', '/api/v1/api-key', { body: { name: 'dashboard operator', scopes: ['admin'] } })).body.key;
    ({ page, problems } = await openPage(browser));
    page.setDefaultTimeout(20_000);
    page.on('request', (request) => {
      const header = request.headers().authorization;
      if (header?.startsWith('Bearer ')) lastAccessToken = header.slice('Bearer '.length);
    });
  });

  after(async () => {
    await browser?.close();
    await receiver?.close();
    await broken?.close();
    await server?.close();
  });

  it('signs in with an API key, and says why when the key is wrong', async () => {
    await page.goto(`${server.url}/dashboard`);
    await page.getByLabel('API key', { exact: true }).fill('hyk_wrong_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'invalid_grant' }).waitFor();

    await page.getByLabel('API key', { exact: true }).fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('img', { name: /Deliveries created per/ }).waitFor();
    assert.equal(await page.getByLabel('API key', { exact: true }).count(), 0);
  });

  it('creates an application (showing a 422 field by field) and an endpoint', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    const form = page.getByRole('form', { name: 'New application' });
    await form.getByLabel('Name', { exact: true }).fill('Acme');
    await form.getByLabel('UID', { exact: true }).fill('not a uid!');
    await form.getByRole('button', { name: 'Create application' }).click();
    await form.getByRole('alert').filter({ hasText: 'body.uid' }).waitFor();
    await form.getByLabel('UID', { exact: true }).fill('acme');
    await form.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('heading', { name: 'Acme', exact: true }).waitFor();

    const endpointForm = page.getByRole('form', { name: 'New endpoint' });
    await endpointForm.getByLabel('Endpoint URL').fill(hookUrl());
    await endpointForm.getByLabel('Description').fill('Acme receiver');
    await endpointForm.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByRole('heading', { name: hookUrl() }).waitFor();
    await page.getByText('circuit closed').waitFor();
  });

  it('publishes a message and watches it succeed', async () => {
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Endpoints' }).click();
    const publish = page.getByRole('form', { name: 'Publish a message' });
    await publish.getByLabel('Event type').fill('user.signup');
    await publish.getByLabel('Payload (JSON)').fill('{"email": "ada@example.com"}');
    await publish.getByRole('button', { name: 'Publish message' }).click();
    await page.getByRole('heading', { name: /^Message msg_/ }).waitFor();
    await page.getByRole('table', { name: 'Destinations' }).getByRole('row').filter({ hasText: hookUrl() }).filter({ hasText: 'success' }).waitFor();
    await page.getByRole('table', { name: 'Attempts' }).getByRole('row').filter({ hasText: '200' }).filter({ hasText: 'scheduled' }).waitFor();
    assert.match(await page.getByLabel('Message payload').innerText(), /ada@example\.com/);
    await receiver.waitFor((requests) => requests.some((request) => request.body.includes('ada@example.com')));
  });

  it('shows a failing endpoint, then resends the message once the receiver is fixed', async () => {
    receiver.respondWith(() => ({ status: 500, body: 'receiver is down' }));
    const failing = (await server.request('POST', '/api/v1/app/acme/msg', { body: { eventType: 'invoice.paid', payload: { invoice: 42 } } })).body;
    // Every attempt of the short test retry schedule fails.
    await receiver.waitFor((requests) => requests.filter((request) => request.headers['webhook-id'] === failing.id).length === 4);

    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByRole('table', { name: 'Messages' }).getByRole('link', { name: failing.id }).click();
    await page.getByRole('table', { name: 'Destinations' }).getByRole('row').filter({ hasText: 'fail' }).waitFor();
    await page.getByRole('table', { name: 'Destinations' }).getByRole('link', { name: hookUrl() }).click();
    await page.getByRole('heading', { name: hookUrl() }).waitFor();
    const attempts = page.getByRole('table', { name: 'Attempts' });
    const failedRow = attempts.getByRole('row').filter({ hasText: failing.id }).filter({ hasText: '500' }).first();
    await failedRow.getByRole('button', { name: 'Details' }).click();
    await page.getByLabel('Response body').filter({ hasText: 'receiver is down' }).waitFor();

    receiver.respondWith(() => ({ status: 200, body: '{"ok":true}' }));
    await failedRow.getByRole('button', { name: /^Resend/ }).click();
    await page.getByRole('status').filter({ hasText: 'Resend' }).waitFor();
    await attempts.getByRole('row').filter({ hasText: failing.id }).filter({ hasText: 'success' }).filter({ hasText: 'manual' }).waitFor();
    await receiver.waitFor((requests) => requests.filter((request) => request.headers['webhook-id'] === failing.id).length === 5);
  });

  it('keeps the session across a reload (refresh token in sessionStorage, access token in memory)', async () => {
    await page.reload();
    await page.getByRole('heading', { name: hookUrl() }).waitFor();
    await page.getByRole('region', { name: 'Health' }).getByText('Failures in a row').waitFor();
    const stored = JSON.parse(await readSessionStorage(page)) as [string, string][];
    assert.deepEqual(
      stored.map(([key]) => key),
      ['hookyard.operator.session'],
    );
    assert.doesNotMatch(JSON.stringify(stored), /eyJ/, 'no access token is stored');
    assert.doesNotMatch(page.url(), /token/);
  });

  it('refreshes the session once when the API refuses its access token', async () => {
    const revoked = lastAccessToken!;
    const form = new URLSearchParams({ token: revoked }).toString();
    await server.request('POST', '/oauth/revoke', { token: null, rawBody: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal((await server.request('GET', '/api/v1/app', { token: revoked })).status, 401);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    await page.getByRole('table', { name: 'Applications' }).getByRole('link', { name: 'Acme' }).waitFor();
    assert.notEqual(lastAccessToken, revoked, 'a new access token was fetched with the refresh token');
    assert.equal(await page.getByRole('heading', { name: 'Sign in to Hookyard' }).count(), 0);
  });

  it('lists inbound events by state and replays one', async () => {
    const source = (await server.request('POST', '/ingest/api/v1/source', { body: { name: 'Provider', uid: 'provider', type: 'generic-webhook' } })).body;
    assert.equal((await server.request('POST', '/ingest/api/v1/source/provider/endpoint', { body: { url: `${receiver.url}/inbound` } })).status, 201);
    const received = await fetch(source.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"order.created","id":7}' });
    assert.equal(received.status, 200);
    const eventId = ((await received.json()) as { id: string }).id;

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbound sources' }).click();
    await page.getByRole('link', { name: 'Provider' }).click();
    await page.getByRole('group', { name: 'Filter events by state' }).getByRole('button', { name: 'processed' }).click();
    const row = page.getByRole('table', { name: 'Events' }).getByRole('row').filter({ hasText: eventId });
    await row.filter({ hasText: 'processed' }).waitFor();
    await row.getByRole('button', { name: `Replay ${eventId}` }).click();
    await receiver.waitFor((requests) => requests.filter((request) => request.path === '/inbound').length === 2);
    await page.getByRole('link', { name: eventId }).click();
    await page.getByRole('table', { name: 'Forwarding attempts' }).getByRole('row').filter({ hasText: 'manual' }).waitFor();
    assert.match(await page.getByLabel('Request body').innerText(), /order\.created/);
  });

  it('lists failing endpoints of applications and sources on the overview, with messages per minute', async () => {
    await server.request('POST', '/api/v1/app', { body: { name: 'Initech', uid: 'initech' } });
    const endpoint = (await server.request('POST', '/api/v1/app/initech/endpoint', { body: { url: `${broken.url}/orders`, headers: { 'X-Api-Key': 'initech-secret' } } })).body;
    const message = (await server.request('POST', '/api/v1/app/initech/msg', { body: { eventType: 'order.placed', payload: { order: 1 } } })).body;
    const source = (await server.request('GET', '/ingest/api/v1/source/provider')).body;
    assert.equal((await server.request('POST', '/ingest/api/v1/source/provider/endpoint', { body: { url: `${broken.url}/inbound` } })).status, 201);
    assert.equal((await fetch(source.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"order.created","id":8}' })).status, 200);
    await eventually('the endpoint and the destination to be failing', async () => {
      const listed = (await server.request('GET', '/api/v1/stats/failing-endpoints')).body.data as { url: string }[];
      return ['/orders', '/inbound'].every((path) => listed.some((one) => one.url === `${broken.url}${path}`));
    });
    // Every message so far was created in the last hour, the overview's default range.
    const messages = (await server.request('GET', '/api/v1/stats')).body.messages as number;

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    const perMinute = page.getByRole('group', { name: 'Messages / min' });
    await perMinute.getByText(new RegExp(`\\b${messages} messages in the last hour`)).waitFor();
    assert.match(await perMinute.innerText(), /^Messages \/ min\s+\d/);
    await page.getByRole('img', { name: 'Messages per minute, averaged over each 5 minutes' }).waitFor();

    const failing = page.getByRole('table', { name: 'Failing endpoints' });
    const appRow = failing.getByRole('row').filter({ hasText: `${broken.url}/orders` });
    const sourceRow = failing.getByRole('row').filter({ hasText: `${broken.url}/inbound` });
    await appRow.filter({ hasText: 'Initech' }).filter({ hasText: 'circuit closed' }).waitFor();
    await sourceRow.filter({ hasText: 'Provider' }).filter({ hasText: 'source destination' }).waitFor();
    assert.equal(await failing.getByRole('link', { name: hookUrl() }).count(), 0, 'an endpoint whose latest attempt succeeded is not failing');

    // A source's destination leads to the source, whose page lists its destinations.
    await sourceRow.getByRole('link', { name: `${broken.url}/inbound` }).click();
    await page.getByRole('heading', { name: 'Provider', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Destinations' }).getByRole('cell', { name: `${broken.url}/inbound`, exact: true }).waitFor();
    await page.goBack();

    // An application's endpoint leads to its page, whose attempts show the headers each request was sent with.
    await appRow.getByRole('link', { name: `${broken.url}/orders` }).click();
    await page.getByRole('heading', { name: `${broken.url}/orders` }).waitFor();
    assert.match(page.url(), new RegExp(`/endpoints/${endpoint.id}$`));
    const attempt = page.getByRole('table', { name: 'Attempts' }).getByRole('row').filter({ hasText: message.id }).filter({ hasText: '500' }).first();
    await attempt.getByRole('button', { name: 'Details' }).click();
    const sent = page.getByRole('table', { name: 'Request headers sent' });
    assert.equal(await sent.getByRole('row', { name: /^webhook-id / }).getByRole('cell').innerText(), message.id);
    assert.match(await sent.getByRole('row', { name: /^webhook-signature / }).getByRole('cell').innerText(), /^v1,/);
    assert.equal(await sent.getByRole('row', { name: /^x-api-key /i }).getByRole('cell').innerText(), '[redacted]');
    assert.doesNotMatch(await sent.innerText(), /initech-secret/);
    await page.getByLabel('Response body').filter({ hasText: '"down"' }).waitFor();
  });

  it('opens the consumer portal for one application, and nothing of another is reachable', async () => {
    const other = (await server.request('POST', '/api/v1/app', { body: { name: 'Globex', uid: 'globex' } })).body;
    const otherEndpoint = (await server.request('POST', '/api/v1/app/globex/endpoint', { body: { url: `${receiver.url}/globex` } })).body;
    const access = (await server.request('POST', '/api/v1/auth/app-portal-access/acme', { body: {} })).body;

    const { page: portal, problems: portalProblems } = await openPage(browser, { width: 1024, height: 800 });
    portal.setDefaultTimeout(20_000);
    let portalAccessToken: string | null = null;
    portal.on('request', (request) => {
      const header = request.headers().authorization;
      if (header?.startsWith('Bearer ')) portalAccessToken = header.slice('Bearer '.length);
    });
    await portal.goto(access.url);
    await portal.getByRole('heading', { name: 'Endpoints', level: 1 }).waitFor();
    await portal.getByText('Webhooks · Acme').waitFor();
    assert.doesNotMatch(portal.url(), /#|token/, 'the token is taken out of the address bar');

    const navigation = await portal.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.deepEqual(navigation, ['Endpoints', 'Messages']);
    await portal.getByRole('table', { name: 'Endpoints' }).getByRole('link', { name: hookUrl() }).waitFor();
    const html = await portal.content();
    assert.ok(!html.includes(other.id) && !html.includes('/globex') && !html.includes('Globex'), 'nothing of the other application is shown');

    // Its endpoint's attempts, with resend.
    await portal.getByRole('link', { name: hookUrl() }).click();
    const attempts = portal.getByRole('table', { name: 'Attempts' });
    const manualBefore = await attempts.getByRole('row').filter({ hasText: 'manual' }).count();
    await attempts
      .getByRole('row')
      .filter({ hasText: 'success' })
      .first()
      .getByRole('button', { name: /^Resend/ })
      .click();
    await attempts.getByRole('row').filter({ hasText: 'manual' }).nth(manualBefore).waitFor();

    // Going to the other application's endpoint through the portal's own routes finds nothing.
    await portal.goto(`${server.url}/dashboard/portal/endpoints/${otherEndpoint.id}`);
    await portal.getByRole('alert').filter({ hasText: 'not_found' }).waitFor();

    // And the API refuses the portal's credentials for the other application.
    assert.ok(portalAccessToken, 'the portal called the API with a session token');
    for (const token of [access.token, portalAccessToken!]) {
      assert.equal((await server.request('GET', `/api/v1/app/${other.id}/endpoint`, { token })).status, 403);
      assert.equal((await server.request('GET', `/api/v1/app/${other.id}/endpoint/${otherEndpoint.id}`, { token })).status, 403);
      assert.equal((await server.request('GET', '/api/v1/app', { token })).status, 403);
    }
    assert.deepEqual(portalProblems, []);
    await portal.context().close();
  });

  it('pages through a long list both ways', async () => {
    for (let index = 0; index < 30; index++) await server.request('POST', '/api/v1/app', { body: { name: `Tenant ${String(index).padStart(2, '0')}` } });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    const table = page.getByRole('table', { name: 'Applications' });
    const pager = page.getByRole('navigation', { name: 'Applications pages' });
    await table.getByRole('link', { name: 'Acme' }).waitFor();
    assert.equal(await pager.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await pager.getByRole('button', { name: 'Next page' }).click();
    await table.getByRole('link', { name: 'Tenant 29' }).waitFor();
    assert.equal(await table.getByRole('link', { name: 'Acme' }).count(), 0);
    assert.equal(await pager.getByRole('button', { name: 'Next page' }).isDisabled(), true, 'the last page');
    await pager.getByRole('button', { name: 'Previous page' }).click();
    await table.getByRole('link', { name: 'Acme' }).waitFor();
    assert.equal(await pager.getByRole('button', { name: 'Previous page' }).isDisabled(), true, 'back at the first page');
    assert.equal(await pager.getByRole('button', { name: 'Next page' }).isDisabled(), false);
  });

  it('fits a phone screen: the menu folds away behind a button', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.waitFor();
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), false);
    await menu.click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), false, 'the menu closes after navigating');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  let client: { id: string; secret: string };

  it('creates an API key shown once and revokes it; creates an OAuth client', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Keys and clients' }).click();
    const keyForm = page.getByRole('form', { name: 'New API key' });
    await keyForm.getByLabel('Key name').fill('reporting');
    await keyForm.getByLabel('message:read', { exact: true }).check();
    await keyForm.getByLabel('message:write', { exact: true }).uncheck();
    await keyForm.getByRole('button', { name: 'Create API key' }).click();
    const key = await page.getByLabel('The new API key').innerText();
    assert.match(key, /^hyk_/);
    assert.equal((await server.request('GET', '/api/v1/stats', { token: key })).status, 200);
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByLabel('The new API key').count(), 0, 'the key is not shown again');

    // It may read statistics but not endpoints: the overview says so where the failing endpoints would be.
    const { page: reporting, problems: reportingProblems } = await openPage(browser);
    reporting.setDefaultTimeout(20_000);
    await reporting.goto(`${server.url}/dashboard`);
    await reporting.getByLabel('API key', { exact: true }).fill(key);
    await reporting.getByRole('button', { name: 'Sign in' }).click();
    await reporting.getByRole('region', { name: 'Failing endpoints' }).getByText('This session cannot list failing endpoints', { exact: false }).waitFor();
    assert.equal(await reporting.getByRole('table', { name: 'Failing endpoints' }).count(), 0);
    assert.deepEqual(reportingProblems, []);
    await reporting.context().close();

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('table', { name: 'API keys' }).getByRole('button', { name: 'Revoke reporting' }).click();
    await page.getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: 'reporting' }).filter({ hasText: 'revoked' }).waitFor();
    assert.equal((await server.request('GET', '/api/v1/stats', { token: key })).status, 401);

    const clientForm = page.getByRole('form', { name: 'New OAuth client' });
    await clientForm.getByLabel('Client name').fill('read-only ops');
    for (const scope of ['app:read', 'endpoint:read', 'message:read']) await clientForm.getByLabel(scope, { exact: true }).check();
    await clientForm.getByLabel('message:write', { exact: true }).uncheck();
    await clientForm.getByRole('button', { name: 'Create OAuth client' }).click();
    const secret = await page.getByLabel('The new client secret').innerText();
    const id = await page.getByRole('table', { name: 'OAuth clients' }).getByRole('row').filter({ hasText: 'read-only ops' }).getByText(/^cli_/).innerText();
    client = { id, secret };
    await page.getByRole('button', { name: 'Done' }).click();
  });

  it('signs in with an OAuth client, offering only what its scopes allow', async () => {
    const { page: other, problems: otherProblems } = await openPage(browser);
    other.setDefaultTimeout(20_000);
    await other.goto(`${server.url}/dashboard`);
    await other.getByLabel('Use an OAuth client').check();
    await other.getByLabel('Client ID').fill(client.id);
    await other.getByLabel('Client secret').fill(client.secret);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('heading', { name: 'Overview' }).waitFor();
    const navigation = await other.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.deepEqual(navigation, ['Overview', 'Applications'], 'no sources, event types, keys or audit log without their scopes');
    await other.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    await other.getByRole('table', { name: 'Applications' }).getByRole('link', { name: 'Acme' }).click();
    await other.getByRole('table', { name: 'Endpoints' }).getByRole('link', { name: hookUrl() }).waitFor();
    assert.equal(await other.getByRole('button', { name: 'Create endpoint' }).count(), 0, 'a read-only session is offered no writes');
    await other.getByRole('table', { name: 'Endpoints' }).getByRole('link', { name: hookUrl() }).click();
    await other.getByRole('table', { name: 'Attempts' }).getByRole('row').filter({ hasText: 'success' }).first().waitFor();
    for (const name of [/^Resend/, /Disable endpoint/, /Reveal secret/, /Recover/]) assert.equal(await other.getByRole('button', { name }).count(), 0, String(name));
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.getByRole('heading', { name: 'Sign in to Hookyard' }).waitFor();
    assert.deepEqual(otherProblems, []);
    await other.context().close();
  });

  it('signs out: the session is revoked on the server and forgotten in the tab', async () => {
    const stored = JSON.parse((JSON.parse(await readSessionStorage(page)) as [string, string][])[0]![1]) as { refreshToken: string };
    const accessToken = lastAccessToken;
    assert.ok(accessToken && stored.refreshToken);
    assert.equal((await server.request('GET', '/api/v1/app', { token: accessToken })).status, 200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Hookyard' }).waitFor();
    assert.equal((await server.request('GET', '/api/v1/app', { token: accessToken })).status, 401, 'the old access token is revoked');
    const refresh = await server.request('POST', '/oauth/token', {
      token: null,
      rawBody: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stored.refreshToken }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(refresh.body.error, 'invalid_grant', 'and so is the refresh token');
    assert.equal(await readSessionStorage(page), '[]');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Hookyard' }).waitFor();
    assert.deepEqual(problems, []);
  });
});
