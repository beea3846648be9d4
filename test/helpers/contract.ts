import { describe } from 'node:test';
import { storeFixtures, type OpenedStore, type StoreFixture } from './stores.js';

export type OpenStore = (options?: { now?: () => number }) => Promise<OpenedStore>;

/**
 * Declares one storage contract block for every adapter: the same assertions run against SQLite and PostgreSQL.
 * Call with top-level await so that an unreachable PostgreSQL is known before the suite is declared.
 */
export async function describeStoreContract(title: string, body: (open: OpenStore, fixture: StoreFixture) => void): Promise<void> {
  for (const fixture of storeFixtures) {
    const skip = await fixture.skip();
    describe(`${title} [${fixture.name}]`, { skip }, () => body((options) => fixture.open(options), fixture));
  }
}
