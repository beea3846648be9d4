import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('messages API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { role: 'api' } });
  });
  after(async () => {
    await server.close();
  });

  async function newApp(name: string): Promise<string> {
    return (await server.request('POST', '/api/v1/app', { body: { name, uid: name } })).body.id;
  }

  it('accepts a message with 202 and stores every field', async () => {
    const app = await newApp('msg-fields');
    const sent = await server.request('POST', `/api/v1/app/${app}/msg`, {
      body: { eventType: 'user.signup', eventId: 'evt-1', channels: ['c1', 'c2'], tags: ['t1'], payload: { a: [1, { b: null }], s: 'é' }, payloadRetentionPeriod: 30 },
    });
    assert.equal(sent.status, 202);
    assert.match(sent.body.id, /^msg_/);
    assert.deepEqual(sent.body.payload, { a: [1, { b: null }], s: 'é' });
    assert.deepEqual(sent.body.channels, ['c1', 'c2']);
    assert.equal(sent.body.eventId, 'evt-1');
    const byEventId = await server.request('GET', `/api/v1/app/msg-fields/msg/evt-1`);
    assert.equal(byEventId.body.id, sent.body.id);
    assert.deepEqual(byEventId.body.tags, ['t1']);
    const noContent = await server.request('GET', `/api/v1/app/${app}/msg/${sent.body.id}?with_content=false`);
    assert.deepEqual(noContent.body.payload, {});
    const bare = await server.request('POST', `/api/v1/app/${app}/msg?with_content=false`, { body: { eventType: 'x.y', payload: { big: true } } });
    assert.deepEqual(bare.body.payload, {});
  });

  it('refuses a duplicate eventId with 409 and stores nothing for it', async () => {
    const app = await newApp('msg-dup');
    await server.request('POST', `/api/v1/app/${app}/endpoint`, { body: { url: 'https://example.com/d' } });
    assert.equal((await server.request('POST', `/api/v1/app/${app}/msg`, { body: { eventType: 'a.b', eventId: 'same', payload: {} } })).status, 202);
    const dup = await server.request('POST', `/api/v1/app/${app}/msg`, { body: { eventType: 'a.b', eventId: 'same', payload: { other: 1 } } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'conflict');
    assert.equal((await server.request('GET', `/api/v1/app/${app}/msg`)).body.data.length, 1);
  });

  it('creates the application alongside the message when asked', async () => {
    const unknown = await server.request('POST', '/api/v1/app/auto-created/msg', { body: { eventType: 'a.b', payload: {} } });
    assert.equal(unknown.status, 404);
    const sent = await server.request('POST', '/api/v1/app/auto-created/msg', { body: { eventType: 'a.b', payload: {}, application: { name: 'Auto' } } });
    assert.equal(sent.status, 202);
    const app = await server.request('GET', '/api/v1/app/auto-created');
    assert.equal(app.body.name, 'Auto');
  });

  it('routes to endpoints as Svix does: event types, channels, disabled endpoints', async () => {
    const app = await newApp('msg-routing');
    const make = async (body: object) => (await server.request('POST', `/api/v1/app/${app}/endpoint`, { body: { url: 'https://example.com/r', ...body } })).body.id as string;
    const all = await make({});
    const signupOnly = await make({ eventTypes: ['user.signup'] });
    const channelC1 = await make({ channels: ['c1'] });
    const signupC2 = await make({ eventTypes: ['user.signup'], channels: ['c2'] });
    await make({ disabled: true });
    const destinations = async (body: object) => {
      const msg = (await server.request('POST', `/api/v1/app/${app}/msg`, { body })).body.id;
      const list = await server.request('GET', `/api/v1/app/${app}/msg/${msg}/endpoint`);
      return list.body.data.map((e: { id: string }) => e.id).sort();
    };
    assert.deepEqual(await destinations({ eventType: 'user.signup', payload: {} }), [all, signupOnly].sort());
    assert.deepEqual(await destinations({ eventType: 'user.signup', payload: {}, channels: ['c1'] }), [all, signupOnly, channelC1].sort());
    assert.deepEqual(await destinations({ eventType: 'user.signup', payload: {}, channels: ['c2'] }), [all, signupOnly, signupC2].sort());
    assert.deepEqual(await destinations({ eventType: 'other', payload: {}, channels: ['c1', 'c2'] }), [all, channelC1].sort());
  });

  it('holds deliveries until deliverAt and validates it', async () => {
    const app = await newApp('msg-later');
    const endpoint = (await server.request('POST', `/api/v1/app/${app}/endpoint`, { body: { url: 'https://example.com/l' } })).body.id;
    const at = new Date(Date.now() + 3600_000).toISOString();
    const sent = await server.request('POST', `/api/v1/app/${app}/msg`, { body: { eventType: 'a.b', payload: {}, deliverAt: at } });
    assert.equal(sent.status, 202);
    const dest = await server.request('GET', `/api/v1/app/${app}/msg/${sent.body.id}/endpoint`);
    assert.equal(dest.body.data[0].id, endpoint);
    assert.equal(dest.body.data[0].nextAttempt, at);
    const tooFar = await server.request('POST', `/api/v1/app/${app}/msg`, { body: { eventType: 'a.b', payload: {}, deliverAt: new Date(Date.now() + 200 * 86400_000).toISOString() } });
    assert.equal(tooFar.status, 422);
  });

  it('lists newest first with filters, and pages without gaps while messages arrive', async () => {
    const app = await newApp('msg-list');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const body = { eventType: i % 2 ? 'odd.event' : 'even.event', payload: { i }, channels: i < 3 ? ['early'] : ['late'] };
      ids.push((await server.request('POST', `/api/v1/app/${app}/msg`, { body })).body.id);
    }
    const list = await server.request('GET', `/api/v1/app/${app}/msg`);
    assert.deepEqual(list.body.data.map((m: { id: string }) => m.id), [...ids].reverse());
    const odd = await server.request('GET', `/api/v1/app/${app}/msg?event_types=odd.event`);
    assert.deepEqual(odd.body.data.map((m: { payload: { i: number } }) => m.payload.i), [5, 3, 1]);
    const both = await server.request('GET', `/api/v1/app/${app}/msg?event_types=odd.event,even.event`);
    assert.equal(both.body.data.length, 6);
    const early = await server.request('GET', `/api/v1/app/${app}/msg?channel=early`);
    assert.deepEqual(early.body.data.map((m: { payload: { i: number } }) => m.payload.i), [2, 1, 0]);

    const seen: string[] = [];
    let iterator = '';
    for (let page = 0; page < 10; page++) {
      const result = await server.request('GET', `/api/v1/app/${app}/msg?limit=2${iterator ? `&iterator=${iterator}` : ''}`);
      seen.push(...result.body.data.map((m: { id: string }) => m.id));
      // Newer messages land before the first page, so a client walking back in time never sees them twice.
      await server.request('POST', `/api/v1/app/${app}/msg`, { body: { eventType: 'late.event', payload: {} } });
      if (result.body.done) break;
      iterator = result.body.iterator;
    }
    assert.deepEqual(seen, [...ids].reverse());
    const first = await server.request('GET', `/api/v1/app/${app}/msg?limit=2&iterator=${ids[2]}`);
    const back = await server.request('GET', `/api/v1/app/${app}/msg?limit=2&iterator=${first.body.prevIterator}`);
    assert.deepEqual(first.body.data.map((m: { id: string }) => m.id), [ids[1], ids[0]]);
    assert.deepEqual(back.body.data.map((m: { id: string }) => m.id), [ids[3], ids[2]]);
  });

  it('expunges content but keeps the message', async () => {
    const app = await newApp('msg-expunge');
    const sent = await server.request('POST', `/api/v1/app/${app}/msg`, { body: { eventType: 'a.b', payload: { secret: 'x' } } });
    assert.equal((await server.request('DELETE', `/api/v1/app/${app}/msg/${sent.body.id}/content`)).status, 204);
    const read = await server.request('GET', `/api/v1/app/${app}/msg/${sent.body.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.payload, {});
    assert.equal((await server.request('DELETE', `/api/v1/app/${app}/msg/msg_unknown/content`)).status, 404);
  });
});
