import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { describeStoreContract } from '../helpers/contract.js';
import type { OpenedStore } from '../helpers/stores.js';
import type { PostgresEngine } from '../../src/store/postgres/postgres-engine.js';
import type { IdempotencyRecord } from '../../src/store/port.js';

const START = Date.UTC(2026, 0, 1);
let clock = START;

const LOCK_MS = 1000;
const RETENTION_MS = 60_000;

/** A claim as the API makes it: locked for a while from now, kept for longer. */
const record = (fingerprint: string, scope = 's1'): IdempotencyRecord => ({
  scope,
  fingerprint,
  lockedUntil: new Date(clock + LOCK_MS),
  expiresAt: new Date(clock + RETENTION_MS),
});

const response = { statusCode: 201, body: '{"id":"app_1"}', headers: { 'content-type': 'application/json', location: '/api/v1/app/app_1' } };

await describeStoreContract('idempotency store', (open, fixture) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  it('claims a new key, then reports it in flight with the holder’s fingerprint', async () => {
    const { store } = opened;
    assert.deepEqual(await store.claimIdempotencyKey(record('f1')), { state: 'claimed' });
    assert.deepEqual(await store.claimIdempotencyKey(record('f1')), { state: 'in_flight', fingerprint: 'f1' });
    assert.deepEqual(await store.claimIdempotencyKey(record('f2')), { state: 'in_flight', fingerprint: 'f1' });
    clock += LOCK_MS - 1;
    assert.equal((await store.claimIdempotencyKey(record('f1'))).state, 'in_flight', 'the lock holds until its end');
    assert.deepEqual(await store.claimIdempotencyKey(record('f1', 's2')), { state: 'claimed' }, 'scopes are independent');
  });

  it('replays a completed response to every later claim until the key expires', async () => {
    const { store } = opened;
    assert.equal((await store.claimIdempotencyKey(record('f1'))).state, 'claimed');
    await store.completeIdempotencyKey('s1', response);
    const completed = { state: 'completed', fingerprint: 'f1', ...response };
    assert.deepEqual(await store.claimIdempotencyKey(record('f1')), completed);
    assert.deepEqual(await store.claimIdempotencyKey(record('other')), completed, 'the caller compares fingerprints');

    clock += LOCK_MS * 10;
    assert.deepEqual(await store.claimIdempotencyKey(record('f1')), completed, 'a completed key has no lock to expire');

    clock = START + RETENTION_MS - 1;
    assert.equal((await store.claimIdempotencyKey(record('f1'))).state, 'completed');
    clock = START + RETENTION_MS;
    assert.deepEqual(await store.claimIdempotencyKey(record('f3')), { state: 'claimed' }, 'an expired key starts over');
    assert.deepEqual(await store.claimIdempotencyKey(record('f4')), { state: 'in_flight', fingerprint: 'f3' }, 'the new claim replaced the old response');
  });

  it('stores an empty response faithfully', async () => {
    const { store } = opened;
    await store.claimIdempotencyKey(record('f1'));
    await store.completeIdempotencyKey('s1', { statusCode: 204, body: '', headers: {} });
    assert.deepEqual(await store.claimIdempotencyKey(record('f1')), { state: 'completed', fingerprint: 'f1', statusCode: 204, body: '', headers: {} });
  });

  it('lets a new request take over a key whose holder let its lock lapse', async () => {
    const { store } = opened;
    assert.equal((await store.claimIdempotencyKey(record('crashed'))).state, 'claimed');
    clock += LOCK_MS;
    assert.deepEqual(await store.claimIdempotencyKey(record('f2')), { state: 'claimed' });
    assert.deepEqual(await store.claimIdempotencyKey(record('f3')), { state: 'in_flight', fingerprint: 'f2' }, 'the new holder has a fresh lock');
    await store.completeIdempotencyKey('s1', response);
    assert.deepEqual(await store.claimIdempotencyKey(record('f2')), { state: 'completed', fingerprint: 'f2', ...response });
  });

  it('gives a released key to the next request, but never releases a stored response', async () => {
    const { store } = opened;
    await store.claimIdempotencyKey(record('f1'));
    await store.releaseIdempotencyKey('s1');
    assert.deepEqual(await store.claimIdempotencyKey(record('f2')), { state: 'claimed' });

    await store.completeIdempotencyKey('s1', response);
    await store.releaseIdempotencyKey('s1');
    assert.equal((await store.claimIdempotencyKey(record('f2'))).state, 'completed');
    await store.releaseIdempotencyKey('never-claimed');
  });

  it('grants a new key to exactly one of several concurrent claims', async () => {
    const { store } = opened;
    const fingerprints = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
    const claims = await Promise.all(fingerprints.map((f) => store.claimIdempotencyKey(record(f))));
    const winners = fingerprints.filter((_, i) => claims[i]!.state === 'claimed');
    assert.equal(winners.length, 1, JSON.stringify(claims));
    for (const claim of claims) {
      if (claim.state !== 'claimed') assert.deepEqual(claim, { state: 'in_flight', fingerprint: winners[0] });
    }
  });

  it('grants a lapsed key to exactly one of several concurrent takers, and the others see the new holder', async () => {
    const { store } = opened;
    await store.claimIdempotencyKey(record('crashed'));
    clock += LOCK_MS * 2;
    const fingerprints = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
    const claims = await Promise.all(fingerprints.map((f) => store.claimIdempotencyKey(record(f))));
    const winners = fingerprints.filter((_, i) => claims[i]!.state === 'claimed');
    assert.equal(winners.length, 1, JSON.stringify(claims));
    for (const claim of claims) {
      if (claim.state !== 'claimed') assert.deepEqual(claim, { state: 'in_flight', fingerprint: winners[0] });
    }
  });

  it('grants an expired completed key to exactly one of several concurrent claims', async () => {
    const { store } = opened;
    await store.claimIdempotencyKey(record('f-old'));
    await store.completeIdempotencyKey('s1', response);
    clock += RETENTION_MS;
    const fingerprints = ['f0', 'f1', 'f2', 'f3'];
    const claims = await Promise.all(fingerprints.map((f) => store.claimIdempotencyKey(record(f))));
    assert.equal(claims.filter((c) => c.state === 'claimed').length, 1, JSON.stringify(claims));
    assert.ok(claims.every((c) => c.state !== 'completed'), 'nobody is handed the expired response');
  });

  // Only PostgreSQL runs writes side by side; SQLite serialises them through one writer, so the race cannot happen there.
  if (fixture.name === 'postgres') it(
    'a taker that loses the race for a lapsed key reports the winner, not the crashed holder',
    async () => {
      const { store, engine } = opened;
      const pool = (engine as PostgresEngine).pool;
      await store.claimIdempotencyKey(record('crashed'));
      clock += LOCK_MS * 2;

      // A row lock held elsewhere lets both takers read the lapsed row, then queues both at their compare-and-set.
      let unlock!: () => void;
      const gate = new Promise<void>((resolve) => (unlock = resolve));
      const holder = engine.write(async (tx) => {
        await tx.selectFrom('idempotency_keys').select('scope').where('scope', '=', 's1').forUpdate().execute();
        await gate;
      });
      const takers = Promise.all([store.claimIdempotencyKey(record('f-a')), store.claimIdempotencyKey(record('f-b'))]);
      const waiting = async () => {
        const { rows } = await pool.query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        return Number(rows[0]!.n);
      };
      const deadline = Date.now() + 5000;
      while ((await waiting()) < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(await waiting(), 2, 'both takers are queued behind the lock');
      unlock();
      await holder;

      const claims = await takers;
      const winner = claims[0].state === 'claimed' ? 'f-a' : 'f-b';
      assert.deepEqual(
        claims.map((c) => c.state).sort(),
        ['claimed', 'in_flight'],
      );
      assert.deepEqual(claims.find((c) => c.state === 'in_flight'), { state: 'in_flight', fingerprint: winner });
    },
  );
});
