import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('attempts API (over real deliveries)', () => {
  let server: TestServer;
  let receiver: Receiver;
  let app: string;
  let good: string;
  let bad: string;
  let msgId: string;

  before(async () => {
    server = await startTestServer({ overrides: { retrySchedule: [0.05] } });
    receiver = await startReceiver((request) => (request.path.startsWith('/bad') ? { status: 500, body: 'nope' } : { status: 200, body: 'ok' }));
    app = (await server.request('POST', '/api/v1/app', { body: { name: 'attempts' } })).body.id;
    good = (
      await server.request('POST', `/api/v1/app/${app}/endpoint`, {
        body: { url: `${receiver.url}/good`, uid: 'good', headers: { 'X-Team': 'billing', 'X-Api-Key': 'upstream-key-123' } },
      })
    ).body.id;
    bad = (await server.request('POST', `/api/v1/app/${app}/endpoint`, { body: { url: `${receiver.url}/bad` } })).body.id;
    msgId = (await server.request('POST', `/api/v1/app/${app}/msg`, { body: { eventType: 'a.b', payload: { n: 1 }, channels: ['ch'] } })).body.id;
    // One success, then the failing endpoint's first attempt and its single retry.
    await receiver.waitFor((requests) => requests.length >= 3, 10_000);
    for (let i = 0; i < 200; i++) {
      const list = await server.request('GET', `/api/v1/app/${app}/attempt/msg/${msgId}`);
      const dests = await server.request('GET', `/api/v1/app/${app}/msg/${msgId}/endpoint`);
      if (list.body.data.length === 3 && dests.body.data.every((d: { status: number }) => d.status !== 1 && d.status !== 3)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('lists attempts by message and by endpoint, newest first, with filters', async () => {
    const byMsg = await server.request('GET', `/api/v1/app/${app}/attempt/msg/${msgId}`);
    assert.equal(byMsg.body.data.length, 3);
    const codes = byMsg.body.data.map((a: { responseStatusCode: number }) => a.responseStatusCode).sort();
    assert.deepEqual(codes, [200, 500, 500]);
    const ids = byMsg.body.data.map((a: { id: string }) => a.id);
    assert.deepEqual(ids, [...ids].sort().reverse());
    for (const attempt of byMsg.body.data) {
      assert.equal(attempt.msgId, msgId);
      assert.equal(attempt.triggerType, 0);
      assert.ok(attempt.responseDurationMs >= 0);
      assert.ok(attempt.url.startsWith(receiver.url));
    }
    const onlyGood = await server.request('GET', `/api/v1/app/${app}/attempt/msg/${msgId}?endpoint_id=good`);
    assert.deepEqual(onlyGood.body.data.map((a: { endpointId: string }) => a.endpointId), [good]);
    assert.equal(onlyGood.body.data[0].response, 'ok');
    assert.equal(onlyGood.body.data[0].statusText, 'success');

    const failed = await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${bad}?status=2`);
    assert.equal(failed.body.data.length, 2);
    assert.equal(failed.body.data[0].response, 'nope');
    const fiveHundreds = await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${bad}?status_code_class=500`);
    assert.equal(fiveHundreds.body.data.length, 2);
    assert.equal((await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${bad}?status_code_class=200`)).body.data.length, 0);
    assert.equal((await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${bad}?channel=other`)).body.data.length, 0);
    assert.equal((await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${bad}?event_types=a.b`)).body.data.length, 2);
    const noContent = await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${bad}?with_content=false`);
    assert.equal(noContent.body.data[0].response, '');
    assert.equal((await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${bad}?status_code_class=250`)).status, 422);
  });

  it('shows the headers each attempt was sent with, exactly as the receiver got them, credentials redacted', async () => {
    const [attempt] = (await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${good}`)).body.data;
    const received = receiver.requests.find((request) => request.path === '/good')!;
    const headers = attempt.requestHeaders as Record<string, string>;
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'user-agent', 'x-team']) {
      assert.equal(headers[name], received.headers[name], `${name} as sent`);
    }
    assert.equal(headers['x-api-key'], '[redacted]');
    assert.equal(JSON.stringify(attempt).includes('upstream-key-123'), false);
  });

  it('gets one attempt, expunges its response, and reports delivery state per destination', async () => {
    const [attempt] = (await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${good}`)).body.data;
    const path = `/api/v1/app/${app}/msg/${msgId}/attempt/${attempt.id}`;
    assert.equal((await server.request('GET', path)).body.id, attempt.id);
    assert.equal((await server.request('DELETE', `${path}/content`)).status, 204);
    assert.equal((await server.request('GET', path)).body.response, '');
    assert.equal((await server.request('GET', path)).body.requestHeaders, null, 'expunged with the response');
    assert.equal((await server.request('GET', `/api/v1/app/${app}/msg/${msgId}/attempt/atmpt_nope`)).status, 404);

    const dests = await server.request('GET', `/api/v1/app/${app}/msg/${msgId}/endpoint`);
    const byId = Object.fromEntries(dests.body.data.map((d: { id: string; statusText: string }) => [d.id, d.statusText]));
    assert.deepEqual(byId, { [good]: 'success', [bad]: 'fail' });
  });

  it('resends as a manual attempt', async () => {
    const before = receiver.requests.length;
    const resend = await server.request('POST', `/api/v1/app/${app}/msg/${msgId}/endpoint/good/resend`);
    assert.equal(resend.status, 202);
    assert.deepEqual(resend.body, {});
    await receiver.waitFor((requests) => requests.length > before, 10_000);
    for (let i = 0; i < 200; i++) {
      const list = await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${good}`);
      if (list.body.data.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const list = await server.request('GET', `/api/v1/app/${app}/attempt/endpoint/${good}`);
    assert.deepEqual(list.body.data.map((a: { triggerType: number }) => a.triggerType), [1, 0]);
    assert.equal((await server.request('POST', `/api/v1/app/${app}/msg/${msgId}/endpoint/nope/resend`)).status, 404);
    assert.equal((await server.request('POST', `/api/v1/app/${app}/msg/msg_nope/endpoint/good/resend`)).status, 404);
  });
});
