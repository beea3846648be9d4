import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { startReceiver, unusedPort, type Receiver } from '../helpers/receiver.js';

describe('test receiver helper', () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('records requests and answers 200 by default', async () => {
    receiver = await startReceiver();
    const before = Date.now();
    const response = await fetch(`${receiver.url}/hooks/a?x=1`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, body: '{"a":1}' });
    assert.equal(response.status, 200);
    assert.equal(receiver.requests.length, 1);
    const [recorded] = receiver.requests;
    assert.equal(recorded?.method, 'POST');
    assert.equal(recorded?.path, '/hooks/a?x=1');
    assert.equal(recorded?.headers['webhook-id'], 'msg_1');
    assert.equal(recorded?.body, '{"a":1}');
    assert.ok(recorded && recorded.receivedAt >= before && recorded.receivedAt <= Date.now());
    assert.equal(receiver.url, `http://127.0.0.1:${receiver.port}`);
  });

  it('answers with what respondWith returns, per request index', async () => {
    receiver = await startReceiver(() => ({ status: 500 }));
    assert.equal((await fetch(receiver.url, { method: 'POST', body: 'x' })).status, 500);

    const seen: number[] = [];
    receiver.respondWith((req, index) => {
      seen.push(index);
      return index === 1 ? { status: 429, headers: { 'retry-after': '7' }, body: `slow down ${req.path}` } : { status: 201, body: 'ok' };
    });
    const second = await fetch(`${receiver.url}/p`, { method: 'POST', body: 'y' });
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), '7');
    assert.equal(await second.text(), 'slow down /p');
    const third = await fetch(receiver.url, { method: 'POST', body: 'z' });
    assert.equal(third.status, 201);
    assert.equal(await third.text(), 'ok');
    assert.deepEqual(seen, [1, 2]);
  });

  it('delays the answer by delayMs', async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: 150 }));
    const started = Date.now();
    const response = await fetch(receiver.url, { method: 'POST', body: '' });
    assert.equal(response.status, 200);
    assert.ok(Date.now() - started >= 140, `answered after ${Date.now() - started} ms`);
  });

  it("drops the connection without an answer on 'destroy'", async () => {
    receiver = await startReceiver(() => 'destroy');
    await assert.rejects(fetch(receiver.url, { method: 'POST', body: '{}' }), TypeError);
    assert.equal(receiver.requests.length, 1, 'the request is still recorded');
  });

  it('waitFor resolves once the predicate holds', async () => {
    receiver = await startReceiver();
    const url = receiver.url;
    setTimeout(() => void fetch(url, { method: 'POST', body: 'late' }), 50);
    await receiver.waitFor((requests) => requests.some((r) => r.body === 'late'), 2000);
    assert.equal(receiver.requests.at(-1)?.body, 'late');
  });

  it('waitFor rejects with what did arrive after the timeout', async () => {
    receiver = await startReceiver();
    await fetch(`${receiver.url}/only`, { method: 'POST', body: 'abc' });
    const started = Date.now();
    await assert.rejects(receiver.waitFor((requests) => requests.length >= 2, 100), (error: Error) => {
      assert.match(error.message, /not met within 100 ms/);
      assert.match(error.message, /1 request\(s\) arrived: POST \/only \(3 bytes\)/);
      return true;
    });
    assert.ok(Date.now() - started >= 100);
  });

  it('close() does not wait for a delayed answer or a kept-alive connection', async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: 10_000 }));
    const pending = fetch(receiver.url, { method: 'POST', body: '' }).catch((error: unknown) => error);
    await receiver.waitFor((requests) => requests.length === 1, 2000);
    const started = Date.now();
    await receiver.close();
    receiver = undefined;
    assert.ok(Date.now() - started < 1000);
    assert.ok((await pending) instanceof TypeError, 'the waiting client sees the connection close');
  });

  it('unusedPort gives a port that refuses connections', async () => {
    const port = await unusedPort();
    assert.ok(port > 0 && port < 65536);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`), (error: TypeError & { cause?: { code?: string } }) => {
      assert.equal(error.cause?.code, 'ECONNREFUSED');
      return true;
    });
  });
});
