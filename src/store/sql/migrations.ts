import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { migrationContext, type Dialect, type MigrationContext } from './migrations/context.js';
import * as core from './migrations/0001-core.js';
import * as delivery from './migrations/0002-delivery.js';
import * as inbound from './migrations/0003-inbound.js';
import * as access from './migrations/0004-access.js';
import * as operability from './migrations/0005-operability.js';
import * as attemptRequestHeaders from './migrations/0006-attempt-request-headers.js';

/**
 * Versioned migrations shared by both adapters, applied in the order of their names. One file per migration in
 * `migrations/`; a migration, once released, is never edited: a change is a new one.
 */
const migrations: Record<string, { up(db: Kysely<unknown>, context: MigrationContext): Promise<void> }> = {
  '0001_core': core,
  '0002_delivery': delivery,
  '0003_inbound': inbound,
  '0004_access': access,
  '0005_operability': operability,
  '0006_attempt_request_headers': attemptRequestHeaders,
};

export function migrationProvider(dialect: Dialect): MigrationProvider {
  const context = migrationContext(dialect);
  const bound: Record<string, Migration> = {};
  for (const [name, migration] of Object.entries(migrations)) bound[name] = { up: (db) => migration.up(db, context) };
  return { getMigrations: async () => bound };
}
