import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { newId } from '../../src/core/ids.js';
import { routeMessage } from '../../src/delivery/routing.js';
import { PostgresEngine } from '../../src/store/postgres/postgres-engine.js';
import { DeliveryStatus, TriggerType, type ClaimedDelivery, type Store } from '../../src/store/port.js';
import { createSqlStore } from '../../src/store/sql/sql-store.js';
import { createTestDatabase, skipUnlessPostgres } from '../helpers/services.js';
import { createApp, createEndpoint, messageInput } from '../helpers/store-data.js';
import { testSecretBox } from '../helpers/stores.js';

const LEASE = 30_000;

describe('PostgreSQL statements', { skip: await skipUnlessPostgres() }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A store on one pooled connection, so that what that connection prepared can be read back on it. */
  async function openStore(preparedStatements?: boolean): Promise<{ store: Store; engine: PostgresEngine; url: string }> {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    const engine = new PostgresEngine({ connectionString: database.url, maxConnections: 1, preparedStatements });
    const store = createSqlStore({ engine, secretBox: testSecretBox, now: Date.now });
    cleanups.push(() => store.close());
    await store.migrate();
    return { store, engine, url: database.url };
  }

  const prepared = async (engine: PostgresEngine) =>
    (await engine.read((db) => sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db))).rows;

  async function sendOnce(store: Store): Promise<void> {
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    const created = await store.createMessage(appId, messageInput(), routeMessage);
    assert.ok(created.ok);
    const [claimed] = (await store.claimDueDeliveries({ owner: 'worker', limit: 10, leaseMs: LEASE })).deliveries;
    assert.ok(claimed, 'the delivery was claimed');
    await store.recordDeliveryResults([{ deliveryId: claimed.delivery.id, lease: claimed.lease, attempt: failedAttempt(claimed), disposition: { kind: 'retry', at: new Date(Date.now() - 1) } }]);
  }

  function failedAttempt(claimed: ClaimedDelivery) {
    return {
      id: newId('attempt', Date.now()),
      appId: claimed.delivery.appId,
      msgId: claimed.delivery.msgId,
      endpointId: claimed.delivery.endpointId,
      deliveryId: claimed.delivery.id,
      url: claimed.endpoint?.url ?? '',
      status: DeliveryStatus.fail,
      responseStatusCode: 500,
      response: 'down',
      requestHeaders: {},
      responseDurationMs: 3,
      triggerType: TriggerType.scheduled,
      createdAt: new Date(),
    };
  }

  it('runs publishing, claiming and recording as statements the connection prepared once', async () => {
    const { store, engine } = await openStore();
    await sendOnce(store);
    const statements = await prepared(engine);
    const named = (fragment: RegExp) => statements.filter((row) => fragment.test(row.statement));
    assert.equal(named(/^with "head" as \(insert into "messages" .*\) insert into "deliveries"/).length, 1, 'the message and its delivery, one statement');
    assert.equal(named(/^update "?deliveries"?/).length, 2, 'the claim and the result update');
    assert.equal(named(/for update skip locked/).length, 1, 'the claim\'s pick of due deliveries');
    assert.equal(named(/^insert into "endpoint_health"/).length, 1, 'the health upsert');
    assert.ok(statements.every((row) => row.name.startsWith('hookyard_')));

    // Running them again prepares nothing new: they are bound and executed only.
    await sendOnce(store);
    assert.equal((await prepared(engine)).length, statements.length);
  });

  it('prepares nothing when turned off, for poolers that do not track prepared statements', async () => {
    const { store, engine } = await openStore(false);
    await sendOnce(store);
    assert.deepEqual(await prepared(engine), []);
  });

  it('keeps working when another process adds columns to the tables its statements read', async () => {
    const { store, url } = await openStore();
    await sendOnce(store);
    // As a newer version's migration would, during a rolling upgrade, while this process keeps running.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      for (const table of ['deliveries', 'endpoint_health', 'messages', 'endpoints']) await other.query(`alter table ${table} add column added_later text`);
    } finally {
      await other.end();
    }
    // A prepared `select *` or `returning *` fails here: "cached plan must not change result type".
    const [retried] = (await store.claimDueDeliveries({ owner: 'worker', limit: 10, leaseMs: LEASE })).deliveries;
    assert.ok(retried, 'the retry due now was claimed');
    const recorded = await store.recordDeliveryResults([{ deliveryId: retried.delivery.id, lease: retried.lease, attempt: failedAttempt(retried), disposition: { kind: 'failed' } }]);
    assert.deepEqual(recorded.recorded, [true]);
    await sendOnce(store);
  });

  it('writes a message and its deliveries in one statement: a failing part leaves nothing of the message', async () => {
    const { store, url } = await openStore();
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    const refused = await createEndpoint(store, appId);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query(`alter table deliveries add constraint refuse_one_endpoint check (endpoint_id <> '${refused.id}')`);
    } finally {
      await other.end();
    }
    await assert.rejects(store.createMessage(appId, messageInput(), routeMessage), /refuse_one_endpoint/);
    assert.deepEqual((await store.listMessages(appId, { limit: 10 }, {})).data, [], 'no message without its deliveries');
  });
});
