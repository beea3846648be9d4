import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { PostgresEngine } from '../../src/store/postgres/postgres-engine.js';
import { eventually } from '../delivery/support.js';
import { createTestDatabase, skipUnlessPostgres } from '../helpers/services.js';

describe('PostgreSQL work signal', { skip: await skipUnlessPostgres() }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let engines: PostgresEngine[];
  before(async () => {
    database = await createTestDatabase();
    engines = [new PostgresEngine({ connectionString: database.url }), new PostgresEngine({ connectionString: database.url })];
  });
  after(async () => {
    await Promise.all(engines.map((engine) => engine.close()));
    await database.drop();
  });

  it('wakes listeners in other processes through LISTEN/NOTIFY, and again after a lost connection', async () => {
    const logger = createLogger('silent');
    const sender = engines[0]!.createWorkSignal(logger);
    const listener = engines[1]!.createWorkSignal(logger);
    let woken = 0;
    listener.subscribe(() => (woken += 1));
    // Subscribing connects and wakes once, for whatever was announced before it listened.
    await eventually('the listener is connected', async () => woken >= 1);
    const before = woken;
    sender.announce();
    await eventually('the announcement arrives', async () => woken > before);

    // Kill the listening connection from the server side, as a restart would.
    const admin = engines[0]!.pool;
    const { rowCount } = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'listen %'`);
    assert.equal(rowCount, 1, 'one listening connection');
    const afterKill = woken;
    await eventually('the listener reconnects and wakes', async () => woken > afterKill);
    const reconnected = woken;
    sender.announce();
    await eventually('announcements arrive again', async () => woken > reconnected);
    await Promise.all([sender.close(), listener.close()]);
  });
});
