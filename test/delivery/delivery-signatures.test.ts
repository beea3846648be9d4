import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attemptsOf, createApp, createEndpoint, eventually, publish } from './support.js';

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

function headersOf(request: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
}

/** Both libraries check the timestamp against the clock too, so a verified request is also a fresh one. */
function verifyWith(secret: string, request: ReceivedRequest): void {
  const headers = headersOf(request);
  new StandardWebhook(secret).verify(request.body, headers);
  new SvixWebhook(secret).verify(request.body, {
    'svix-id': headers['svix-id']!,
    'svix-timestamp': headers['svix-timestamp']!,
    'svix-signature': headers['svix-signature']!,
  });
}

// Delivery exchanges run on the main thread by default, or on a worker thread of their own (HOOKYARD_SENDER_THREAD).
for (const senderThread of [false, true]) describe(senderThread ? 'signed delivery, sent from the sender thread' : 'signed delivery', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ overrides: { senderThread } });
    receiver = await startReceiver();
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('delivers the payload signed per Standard Webhooks, with the custom headers', async () => {
    const appId = await createApp(server);
    const secret = newSecret();
    const endpoint = await createEndpoint(server, appId, { url: `${receiver.url}/signed`, secret });
    const headers = await server.request('PUT', `/api/v1/app/${appId}/endpoint/${endpoint.id}/headers`, {
      body: { headers: { 'X-Tenant': 'acme', 'X-Trace': 'abc' } },
    });
    assert.equal(headers.status, 204, headers.text);

    const message = await publish(server, appId, { eventType: 'user.created', payload: { user: 'ada', n: 1 } });
    await receiver.waitFor((requests) => requests.some((r) => r.path === '/signed'));
    const request = receiver.requests.find((r) => r.path === '/signed')!;

    assert.equal(request.method, 'POST');
    assert.deepEqual(JSON.parse(request.body), { user: 'ada', n: 1 });
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['webhook-id'], message.id, 'the webhook id is the message id');
    assert.equal(request.headers['svix-id'], message.id);
    assert.equal(request.headers['x-tenant'], 'acme');
    assert.equal(request.headers['x-trace'], 'abc');
    assert.match(String(request.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
    verifyWith(secret, request);
    assert.throws(() => new StandardWebhook(newSecret()).verify(request.body, headersOf(request)), 'another secret does not verify');

    const attempts = await eventually('the attempt to be listed', async () => {
      const listed = await attemptsOf(server, appId, message.id);
      return listed.length === 1 && listed;
    });
    assert.equal(attempts[0].status, 0);
    assert.equal(attempts[0].responseStatusCode, 200);
    assert.equal(attempts[0].endpointId, endpoint.id);
    assert.equal(attempts[0].url, `${receiver.url}/signed`);
  });

  it('signs with both the old and the new secret while a rotated secret is in its grace period', async () => {
    const appId = await createApp(server);
    const oldSecret = newSecret();
    const endpoint = await createEndpoint(server, appId, { url: `${receiver.url}/rotating`, secret: oldSecret });
    const rotatedTo = newSecret();
    const rotated = await server.request('POST', `/api/v1/app/${appId}/endpoint/${endpoint.id}/secret/rotate`, { body: { key: rotatedTo } });
    assert.equal(rotated.status, 204, rotated.text);

    const message = await publish(server, appId, { eventType: 'user.updated' });
    await receiver.waitFor((requests) => requests.some((r) => r.headers['webhook-id'] === message.id));
    const request = receiver.requests.find((r) => r.headers['webhook-id'] === message.id)!;
    assert.equal(String(request.headers['webhook-signature']).split(' ').length, 2, 'two space-separated signatures');
    verifyWith(rotatedTo, request);
    verifyWith(oldSecret, request);
  });
});
