import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/core/secret-box.js';
import { sqliteFilePath } from '../../src/store/open-store.js';
import { PostgresEngine } from '../../src/store/postgres/postgres-engine.js';
import type { Store } from '../../src/store/port.js';
import type { SqlEngine } from '../../src/store/sql/engine.js';
import { createSqlStore } from '../../src/store/sql/sql-store.js';
import { SqliteEngine } from '../../src/store/sqlite/sqlite-engine.js';
import { createTestDatabase, skipUnlessPostgres } from './services.js';

export interface OpenedStore {
  store: Store;
  /** The adapter underneath, for the few suites that must set up state no public operation writes yet. */
  engine: SqlEngine;
  /**
   * Closes the store and opens a new one on the same data, as a restarted process would (optionally with other
   * main keys); use the returned one.
   */
  reopen(options?: { secretBox?: SecretBox }): Promise<OpenedStore>;
  close(): Promise<void>;
}

export interface StoreFixture {
  name: 'sqlite' | 'postgres';
  /** false to run, or the reason to skip. */
  skip(): Promise<false | string>;
  open(options?: { now?: () => number }): Promise<OpenedStore>;
}

export const testSecretBox = new SecretBox(randomBytes(32).toString('base64'));

/** A store over an engine; `drop` removes the data once the last store on it is closed. */
async function openOn(createEngine: () => SqlEngine, now: () => number, drop: () => Promise<void>, secretBox = testSecretBox): Promise<OpenedStore> {
  const engine = createEngine();
  const store = createSqlStore({ engine, secretBox, now });
  await store.migrate();
  return {
    store,
    engine,
    async reopen(options = {}) {
      await store.close();
      return openOn(createEngine, now, drop, options.secretBox ?? secretBox);
    },
    async close() {
      await store.close();
      await drop();
    },
  };
}

export const sqliteFixture: StoreFixture = {
  name: 'sqlite',
  skip: async () => false,
  async open(options = {}) {
    const dataDir = await mkdtemp(join(tmpdir(), 'hookyard-store-'));
    return openOn(
      () => new SqliteEngine({ path: sqliteFilePath(dataDir), synchronous: 'normal' }),
      options.now ?? Date.now,
      () => rm(dataDir, { recursive: true, force: true }),
    );
  },
};

export const postgresFixture: StoreFixture = {
  name: 'postgres',
  skip: skipUnlessPostgres,
  async open(options = {}) {
    const database = await createTestDatabase();
    return openOn(() => new PostgresEngine({ connectionString: database.url }), options.now ?? Date.now, database.drop);
  },
};

export const storeFixtures: StoreFixture[] = [sqliteFixture, postgresFixture];

/**
 * A second store on the same data, as another process would hold it: on PostgreSQL its own connections; SQLite allows
 * a single writing process, so there it is the same store. `close` closes only what was opened here.
 */
export function storeOfAnotherProcess(opened: OpenedStore, now: () => number): { store: Store; close(): Promise<void> } {
  if (!(opened.engine instanceof PostgresEngine)) return { store: opened.store, close: async () => undefined };
  const engine = new PostgresEngine({ connectionString: opened.engine.pool.options.connectionString! });
  return { store: createSqlStore({ engine, secretBox: testSecretBox, now }), close: () => engine.close() };
}
