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
  close(): Promise<void>;
}

export interface StoreFixture {
  name: 'sqlite' | 'postgres';
  /** false to run, or the reason to skip. */
  skip(): Promise<false | string>;
  open(options?: { now?: () => number }): Promise<OpenedStore>;
}

export const testSecretBox = new SecretBox(randomBytes(32).toString('base64'));

export const sqliteFixture: StoreFixture = {
  name: 'sqlite',
  skip: async () => false,
  async open(options = {}) {
    const dataDir = await mkdtemp(join(tmpdir(), 'hookyard-store-'));
    const engine = new SqliteEngine({ path: sqliteFilePath(dataDir), synchronous: 'normal' });
    const store = createSqlStore({ engine, secretBox: testSecretBox, now: options.now ?? Date.now });
    await store.migrate();
    return {
      store,
      engine,
      async close() {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresFixture: StoreFixture = {
  name: 'postgres',
  skip: skipUnlessPostgres,
  async open(options = {}) {
    const database = await createTestDatabase();
    const engine = new PostgresEngine({ connectionString: database.url });
    const store = createSqlStore({ engine, secretBox: testSecretBox, now: options.now ?? Date.now });
    await store.migrate();
    return {
      store,
      engine,
      async close() {
        await store.close();
        await database.drop();
      },
    };
  },
};

export const storeFixtures: StoreFixture[] = [sqliteFixture, postgresFixture];
