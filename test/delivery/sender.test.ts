import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Sender, type RequestSender, type SenderOptions } from '../../src/delivery/sender.js';
import { ThreadedSender } from '../../src/delivery/sender-thread.js';
import { generateEndpointSecret } from '../../src/delivery/signing.js';
import { Webhook } from 'standardwebhooks';
import { startReceiver, unusedPort, type Receiver, type ReceiverResponse } from '../helpers/receiver.js';

const implementations: Array<[string, (options: SenderOptions) => RequestSender]> = [
  ['sender', (options) => new Sender(options)],
  ['sender on a worker thread', (options) => new ThreadedSender(options)],
];

for (const [name, createSender] of implementations) describe(name, () => {
  let receiver: Receiver;
  let sender: RequestSender;
  before(async () => {
    receiver = await startReceiver((request): ReceiverResponse | 'destroy' => {
      if (request.path === '/big') return { status: 200, body: 'x'.repeat(5000) };
      if (request.path === '/slow') return { status: 200, delayMs: 2000 };
      if (request.path === '/redirect') return { status: 307, headers: { location: '/elsewhere' } };
      if (request.path === '/drop') return 'destroy';
      if (request.path.startsWith('/echo/')) return { status: 200, body: request.path };
      return { status: 201, headers: { 'x-answer': 'yes' }, body: 'created' };
    });
    sender = createSender({ timeoutMs: 300, responseBodyLimit: 100, allowPrivateNetworks: ['127.0.0.1/32'], userAgent: 'test-agent' });
  });
  after(async () => {
    await sender.close();
    await receiver.close();
  });

  const send = (path: string, url = `${receiver.url}${path}`) => sender.send({ url, headers: { 'x-custom': 'one' }, body: '{"a":1}' });

  it('posts the body with the given headers and returns the answer', async () => {
    const result = await send('/ok');
    assert.equal(result.kind, 'response');
    assert.equal(result.statusCode, 201);
    assert.equal(result.body, 'created');
    assert.equal(result.headers['x-answer'], 'yes');
    assert.equal(result.bodyError, null);
    assert.ok(result.durationMs >= 0);
    const seen = receiver.requests.find((r) => r.path === '/ok')!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.body, '{"a":1}');
    assert.equal(seen.headers['x-custom'], 'one');
    assert.equal(seen.headers['user-agent'], 'test-agent');
  });

  it('signs the request it sends, its signature winning over custom headers, and returns the headers it sent redacted', async () => {
    const secret = generateEndpointSecret();
    const timestampSeconds = Math.floor(Date.now() / 1000);
    const result = await sender.send({
      url: `${receiver.url}/echo/signed`,
      headers: { 'x-custom': 'one', 'webhook-id': 'forged', authorization: 'Bearer endpoint-credential' },
      body: '{"a":2}',
      signing: { msgId: 'msg_signed', timestampSeconds, secrets: [secret], includeSvixHeaders: true },
    });
    assert.equal(result.kind, 'response');
    const seen = receiver.requests.find((r) => r.path === '/echo/signed')!;
    const headers = Object.fromEntries(Object.entries(seen.headers).map(([name, value]) => [name, String(value)]));
    assert.equal(headers['webhook-id'], 'msg_signed');
    assert.equal(headers['svix-id'], 'msg_signed');
    assert.equal(headers.authorization, 'Bearer endpoint-credential');
    assert.deepEqual(new Webhook(secret).verify(seen.body, headers), { a: 2 });
    assert.equal(result.requestHeaders?.['webhook-signature'], headers['webhook-signature']);
    assert.equal(result.requestHeaders?.['user-agent'], 'test-agent');
    assert.equal(result.requestHeaders?.authorization, '[redacted]');
  });

  it('keeps a forwarded content type over the signature headers', async () => {
    const result = await sender.send({
      url: `${receiver.url}/echo/form`,
      headers: { 'content-type': 'text/plain' },
      body: 'a=1',
      signing: { msgId: 'msg_form', timestampSeconds: Math.floor(Date.now() / 1000), secrets: [generateEndpointSecret()], includeSvixHeaders: false },
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(result.kind, 'response');
    const seen = receiver.requests.find((r) => r.path === '/echo/form')!;
    assert.equal(seen.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(seen.headers['svix-id'], undefined);
  });

  it('refuses to send what it cannot sign', async () => {
    const result = await sender.send({
      url: `${receiver.url}/echo/unsigned`,
      headers: {},
      body: '{}',
      signing: { msgId: 'msg.with.dots', timestampSeconds: Math.floor(Date.now() / 1000), secrets: [generateEndpointSecret()], includeSvixHeaders: false },
    });
    assert.equal(result.kind, 'failed');
    assert.equal(result.reason, 'invalid_request');
    assert.equal(result.requestHeaders, null);
    assert.equal(receiver.requests.filter((r) => r.path === '/echo/unsigned').length, 0);
  });

  it('keeps only the configured number of response bytes', async () => {
    const result = await send('/big');
    assert.equal(result.kind, 'response');
    assert.equal(result.body, 'x'.repeat(100));
  });

  it('does not follow redirects', async () => {
    const result = await send('/redirect');
    assert.equal(result.kind, 'response');
    assert.equal(result.statusCode, 307);
    assert.equal(receiver.requests.filter((r) => r.path === '/elsewhere').length, 0);
  });

  it('reports a timeout, a refused connection and a dropped connection as values, by stage', async () => {
    const slow = await send('/slow');
    assert.deepEqual(slow.kind === 'failed' && [slow.stage, slow.reason], ['during', 'timeout']);
    assert.ok(slow.durationMs >= 250, `gave up after ${slow.durationMs} ms`);

    const refused = await send('', `http://127.0.0.1:${await unusedPort()}/`);
    assert.deepEqual(refused.kind === 'failed' && [refused.stage, refused.reason], ['before', 'connect']);

    const dropped = await send('/drop');
    assert.deepEqual(dropped.kind === 'failed' && [dropped.stage, dropped.reason], ['during', 'connection_lost']);
  });

  it('refuses addresses outside the allow-list before connecting', async () => {
    for (const url of ['http://127.0.0.2:9/', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:9/', 'http://10.0.0.1/']) {
      const result = await send('', url);
      assert.deepEqual(result.kind === 'failed' && [result.stage, result.reason], ['before', 'refused_address'], url);
    }
    const notUrl = await send('', 'not a url');
    assert.deepEqual(notUrl.kind === 'failed' && [notUrl.stage, notUrl.reason], ['before', 'invalid_request']);
  });

  it('stops at once when its caller aborts', async () => {
    const controller = new AbortController();
    const pending = sender.send({ url: `${receiver.url}/slow`, headers: {}, body: '{}', signal: controller.signal });
    controller.abort();
    const result = await pending;
    assert.deepEqual(result.kind === 'failed' && result.reason, 'aborted');
  });

  it('gives every one of many concurrent exchanges its own answer', async () => {
    // A timeout of its own: the suite's short one is for the timeout cases, not for 200 exchanges at once.
    const patient = createSender({ timeoutMs: 10_000, responseBodyLimit: 100, allowPrivateNetworks: ['127.0.0.1/32'], userAgent: 'test-agent' });
    try {
      const paths = Array.from({ length: 200 }, (_, i) => `/echo/${i}`);
      const results = await Promise.all(paths.map((path) => patient.send({ url: `${receiver.url}${path}`, headers: {}, body: '{}' })));
      assert.deepEqual(
        results.map((result) => (result.kind === 'response' ? result.body : `${result.reason}: ${result.detail}`)),
        paths,
      );
    } finally {
      await patient.close();
    }
  });
});
