import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/core/secret-box.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/port.js';
import { createTestDatabase, skipUnlessPostgres } from './services.js';

export interface OpenedStore {
  store: Store;
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
    const store = await openStore({ dataDir, databaseUrl: null, sqliteSynchronous: 'normal', secretBox: testSecretBox, now: options.now });
    await store.migrate();
    return {
      store,
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
    const store = await openStore({ dataDir: '', databaseUrl: database.url, sqliteSynchronous: 'normal', secretBox: testSecretBox, now: options.now });
    await store.migrate();
    return {
      store,
      async close() {
        await store.close();
        await database.drop();
      },
    };
  },
};

export const storeFixtures: StoreFixture[] = [sqliteFixture, postgresFixture];
