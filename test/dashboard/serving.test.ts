import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ensureDashboardBuilt } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

describe('serving the dashboard', () => {
  let server: TestServer;
  let unbuilt: TestServer;
  before(async () => {
    ensureDashboardBuilt();
    server = await startTestServer();
    unbuilt = await startTestServer({ store: 'sqlite', overrides: { dashboardDir: '/nonexistent/hookyard-dashboard' } });
  });
  after(async () => {
    await server?.close();
    await unbuilt?.close();
  });

  it('serves the app on every client-side route without a token, with a strict policy and no caching', async () => {
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/apps/app_x/endpoints/ep_y', '/dashboard/portal']) {
      const page = await server.request('GET', path, { token: null });
      assert.equal(page.status, 200, path);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(page.headers.get('cache-control'), 'no-store');
      const policy = page.headers.get('content-security-policy') ?? '';
      assert.match(policy, /script-src 'self'(;|$)/);
      assert.match(policy, /style-src 'self'(;|$)/);
      assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
      assert.match(page.text, /<div id="root">/);
      // The policy forbids inline scripts, so the document must not need any.
      assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/);
    }
    const operator = await server.request('GET', '/dashboard', { token: null });
    assert.match(operator.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    assert.equal(operator.headers.get('x-frame-options'), 'DENY');
    // The portal is made to be embedded in another site's page.
    const portal = await server.request('GET', '/dashboard/portal', { token: null });
    assert.match(portal.headers.get('content-security-policy')!, /frame-ancestors \*/);
    assert.equal(portal.headers.get('x-frame-options'), null);
  });

  it('caches hashed assets for good and answers a missing asset with 404, never the document', async () => {
    const page = await server.request('GET', '/dashboard', { token: null });
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    assert.ok(script, 'the document loads a hashed script');
    const asset = await server.request('GET', script, { token: null });
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
    const missing = await server.request('GET', '/dashboard/assets/nothing-here.js', { token: null });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'not_found');
    const escape = await server.request('GET', '/dashboard/..%2f..%2fpackage.json', { token: null });
    assert.notEqual(escape.status, 200);
  });

  it('stays out of the API document', async () => {
    const document = (await server.request('GET', '/api/v1/openapi.json', { token: null })).body;
    assert.ok(!Object.keys(document.paths).some((path) => path.startsWith('/dashboard')));
  });

  it('answers 503 naming the build command when the dashboard is not built', async () => {
    const json = await unbuilt.request('GET', '/dashboard', { token: null });
    assert.equal(json.status, 503);
    assert.equal(json.body.code, 'dashboard_not_built');
    assert.match(json.body.detail, /npm run build:dashboard/);
    const html = await unbuilt.request('GET', '/dashboard/apps', { token: null, headers: { accept: 'text/html' } });
    assert.equal(html.status, 503);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html.text, /<code>npm run build:dashboard<\/code>/);
    assert.equal((await unbuilt.request('GET', '/api/v1/health/ping', { token: null })).status, 204, 'the rest of the server is unaffected');
  });

  it('tells a confined session which application it is limited to (the portal needs it)', async () => {
    const app = (await server.request('POST', '/api/v1/app', { body: { name: 'Portal owner' } })).body;
    const portalToken = (await server.request('POST', `/api/v1/auth/app-portal-access/${app.id}`, { body: {} })).body.token;
    const form = (params: Record<string, string>) =>
      server.request('POST', '/oauth/token', { token: null, rawBody: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const portal = await form({ grant_type: TOKEN_EXCHANGE, subject_token: portalToken });
    assert.equal(portal.status, 200, portal.text);
    assert.equal(portal.body.app_id, app.id);
    const refreshed = await form({ grant_type: 'refresh_token', refresh_token: portal.body.refresh_token });
    assert.equal(refreshed.body.app_id, app.id, 'and again on every refresh');
    const operator = await form({ grant_type: TOKEN_EXCHANGE, subject_token: server.adminToken });
    assert.equal(operator.status, 200);
    assert.equal(operator.body.app_id, undefined);
  });

  it('is built by npm install: package.json runs the build in prepare', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    assert.match(manifest.scripts.prepare, /prepare\.mjs/);
    assert.match(manifest.scripts['build:dashboard'], /vite build/);
  });
});
