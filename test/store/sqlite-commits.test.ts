import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createSqlStore } from '../../src/store/sql/sql-store.js';
import type { Executor } from '../../src/store/sql/engine.js';
import { GroupCommitter } from '../../src/store/sqlite/group-commit.js';
import { SqliteEngine, savepointsOn } from '../../src/store/sqlite/sqlite-engine.js';
import { testSecretBox } from '../helpers/stores.js';

/** A promise opened from outside: stands in for a disk sync whose end the test decides. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5000) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('SQLite group commit', () => {
  let dir: string;
  let sqlite: BetterSqlite3.Database;
  let db: Kysely<{ items: { name: string } }>;
  let syncs: number;
  let disk: ReturnType<typeof gate>;
  let committer: GroupCommitter;

  const insert = (name: string) => (tx: Executor) =>
    (tx as unknown as typeof db).insertInto('items').values({ name }).execute().then(() => name);
  const names = async () => (await db.selectFrom('items').select('name').orderBy('name').execute()).map((row) => row.name);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookyard-commits-'));
    sqlite = new BetterSqlite3(join(dir, 'test.db'));
    sqlite.pragma('journal_mode = WAL');
    db = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
    await db.schema.createTable('items').addColumn('name', 'text').execute();
    syncs = 0;
    disk = gate();
    committer = new GroupCommitter(db as unknown as Executor, savepointsOn(sqlite), () => {
      syncs += 1;
      return disk.promise;
    });
  });

  afterEach(async () => {
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a durable write only once its sync is done', async () => {
    let answered = false;
    const write = committer.run(insert('a')).then(() => (answered = true));
    await until(() => syncs === 1, 'the sync');
    assert.deepEqual(await names(), ['a'], 'committed before the sync');
    await sleep(20);
    assert.equal(answered, false, 'not answered before the sync ends');
    disk.open();
    await write;
    assert.equal(answered, true);
  });

  it('asks no sync for a write that needs none, yet answers it only after the durable writes committed before it', async () => {
    const order: string[] = [];
    const durable = committer.run(insert('a')).then((name) => order.push(name));
    await until(() => syncs === 1, 'the first sync');
    const volatile = committer.run(insert('b'), false).then((name) => order.push(name));
    await sleep(20);
    assert.deepEqual(await names(), ['a', 'b'], 'both committed');
    assert.deepEqual(order, [], 'the second waits for the first one to be on disk');
    assert.equal(syncs, 1, 'no sync of its own');
    disk.open();
    await Promise.all([durable, volatile]);
    assert.deepEqual(order, ['a', 'b']);
  });

  it('answers writes that need no sync without any sync when nothing before them waits for one', async () => {
    assert.equal(await committer.run(insert('x'), false), 'x');
    assert.equal(syncs, 0);
  });

  it('runs work between transactions, holding back the writes that arrive meanwhile', async () => {
    disk.open();
    const interlude = gate();
    let inTransaction: boolean | null = null;
    const between = committer.between(async () => {
      inTransaction = sqlite.inTransaction;
      await interlude.promise;
      return 'done';
    });
    let written = false;
    const write = committer.run(insert('held')).then(() => (written = true));
    await until(() => inTransaction !== null, 'the interlude to start');
    await sleep(20);
    assert.equal(inTransaction, false, 'no transaction is open during the interlude');
    assert.equal(written, false);
    assert.deepEqual(await names(), [], 'the write waits for the interlude');
    interlude.open();
    assert.equal(await between, 'done');
    await write;
    assert.deepEqual(await names(), ['held']);
  });
});

describe('SQLite WAL under steady writes', () => {
  it('starts the WAL file over instead of letting it grow with every write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookyard-wal-'));
    const path = join(dir, 'hookyard.db');
    const engine = new SqliteEngine({ path, synchronous: 'full', checkpoints: { commitsPerCheckpoint: 20, restartFrames: 200 } });
    const store = createSqlStore({ engine, secretBox: testSecretBox, now: Date.now });
    try {
      await store.migrate();
      const value = 'v'.repeat(16 * 1024);
      const writes = 600;
      // The checkpoint thread may still be starting during the first writes (slowly, on a loaded machine), and the
      // file never shrinks below its longest: only growth after a warm-up tells whether the WAL starts over.
      for (let i = 0; i < writes / 2; i++) await store.putSettingIfAbsent(`w${i}`, value);
      const warmBytes = statSync(`${path}-wal`).size;
      // One commit at a time, never idle: without a restart the WAL would hold every page written.
      for (let i = 0; i < writes; i++) await store.putSettingIfAbsent(`k${i}`, value);
      const written = writes * value.length;
      const grownBy = statSync(`${path}-wal`).size - warmBytes;
      assert.ok(grownBy < written / 2, `WAL file grew by ${grownBy} bytes while ${written} bytes of values were written`);
      assert.equal(await store.getSetting('k0'), value);
      assert.equal(await store.getSetting(`k${writes - 1}`), value);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
