import { join } from 'node:path';
import type { SecretBox } from '../core/secret-box.js';
import type { Store } from './port.js';
import { createSqlStore } from './sql/sql-store.js';
import { SqliteEngine } from './sqlite/sqlite-engine.js';

export interface OpenStoreOptions {
  dataDir: string;
  databaseUrl: string | null;
  /** PostgreSQL connections of this process. */
  databasePoolSize?: number;
  /** Named prepared statements on PostgreSQL (see PostgresEngineOptions). */
  databasePreparedStatements?: boolean;
  sqliteSynchronous: 'full' | 'normal';
  secretBox: SecretBox;
  now?: () => number;
  /** Called after each committed write transaction: how many writes it held, and how long it took. */
  onCommitBatch?: (size: number, ms: number) => void;
}

export function sqliteFilePath(dataDir: string): string {
  return join(dataDir, 'hookyard.db');
}

/** Picks the adapter from configuration: PostgreSQL when a database URL is set, else the embedded SQLite file. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const { PostgresEngine } = await import('./postgres/postgres-engine.js');
    const engine = new PostgresEngine({
      connectionString: options.databaseUrl,
      maxConnections: options.databasePoolSize,
      preparedStatements: options.databasePreparedStatements,
      onCommit: options.onCommitBatch,
    });
    return createSqlStore({ engine, secretBox: options.secretBox, now: options.now ?? Date.now });
  }
  const engine = new SqliteEngine({
    path: sqliteFilePath(options.dataDir),
    synchronous: options.sqliteSynchronous,
    onCommitBatch: options.onCommitBatch,
  });
  return createSqlStore({ engine, secretBox: options.secretBox, now: options.now ?? Date.now });
}
