import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { STRIPE_SECRET, postToIngestUrl, stripeEvent } from '../inbound/support.js';

/**
 * Everything a full run logs, at the most verbose level, holds no secret: no token, key or signing secret, no
 * Authorization header, no value of a field configured as sensitive, whatever the requests carried.
 */
describe('log hygiene', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ captureLogs: 'trace', overrides: { retrySchedule: [0.05] } });
    receiver = await startReceiver((request) => ({ status: request.path === '/fails' ? 500 : 200 }));
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('never writes a secret, whatever the run did', async () => {
    const secrets: string[] = [server.adminToken, STRIPE_SECRET];
    const endpointSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const upstreamCredential = 'upstream-credential-7f3a9c';
    const password = 'hunter2-correct-horse';
    const cardNumber = '4111111111111111';
    secrets.push(endpointSecret, upstreamCredential, password, cardNumber);

    const app = await server.request('POST', '/api/v1/app', { body: { name: 'Hygiene' } });
    for (const path of ['/ok', '/fails']) {
      const endpoint = await server.request('POST', `/api/v1/app/${app.body.id}/endpoint`, {
        body: { url: `${receiver.url}${path}`, secret: endpointSecret, headers: { 'X-Upstream-Auth': upstreamCredential } },
      });
      assert.equal(endpoint.status, 201, endpoint.text);
    }
    const key = await server.request('POST', '/api/v1/api-key', { body: { name: 'publisher', scopes: ['message:write'] } });
    secrets.push(key.body.key);
    const portal = await server.request('POST', `/api/v1/auth/app-portal-access/${app.body.id}`, { body: {} });
    secrets.push(portal.body.token);
    const rotated = await server.request('POST', `/api/v1/api-key/${key.body.id}/rotate`, { body: { overlapSeconds: 60 } });
    secrets.push(rotated.body.key);

    for (const token of [key.body.key, rotated.body.key]) {
      const sent = await server.request('POST', `/api/v1/app/${app.body.id}/msg`, {
        token,
        body: { eventType: 'user.signup', payload: { email: 'a@example.com', password, card: { cardNumber } } },
        headers: { 'idempotency-key': `hygiene-${token.slice(-6)}` },
      });
      assert.equal(sent.status, 202, sent.text);
    }
    await server.request('GET', '/api/v1/app', { token: 'hyk_wrongwrong_not-a-key' });
    await server.request('GET', `/api/v1/app/${app.body.id}/endpoint`, { token: portal.body.token });
    await server.request('GET', `/api/v1/app/${app.body.id}/endpoint/x/secret`);

    const source = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'Stripe', type: 'stripe', config: { secret: STRIPE_SECRET } } });
    await server.request('POST', `/ingest/api/v1/source/${source.body.id}/endpoint`, { body: { url: `${receiver.url}/ok`, secret: endpointSecret } });
    secrets.push(new URL(source.body.ingestUrl).pathname.split('/').pop()!);
    assert.equal((await postToIngestUrl(source.body.ingestUrl, stripeEvent('evt_hygiene_1', 'invoice.paid', { object: { password } }))).status, 200);
    const forged = stripeEvent('evt_hygiene_2', 'invoice.paid', {}, 'whsec_forged_secret_0123456789abcdef');
    assert.equal((await postToIngestUrl(source.body.ingestUrl, forged)).status, 401);
    await postToIngestUrl(source.body.ingestUrl, { body: 'a=1', headers: { authorization: `Basic ${Buffer.from(`user:${upstreamCredential}`).toString('base64')}` } });

    // Both destinations have answered (one of them failing twice) before the logs are read.
    await receiver.waitFor((requests) => requests.filter((request) => request.path === '/fails').length >= 4 && requests.length >= 7);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const text = server.logs.map((line) => JSON.stringify(line)).join('\n');
    assert.ok(server.logs.length >= 20, `${server.logs.length} log lines captured: the run was logged`);
    assert.ok(text.includes(app.body.id), 'the logs do describe the run');
    for (const secret of secrets) assert.equal(text.includes(secret), false, `a secret (${secret.slice(0, 6)}…) appears in the logs`);
    assert.equal(/bearer\s+\S{8,}/i.test(text), false, 'no Authorization header value');
    assert.equal(text.includes(Buffer.from(`user:${upstreamCredential}`).toString('base64')), false);
  });
});
