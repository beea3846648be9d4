import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../sql/database.js';
import { isFailedOutcome, type Executor, type SqlEngine } from '../sql/engine.js';
import { migrationProvider } from '../sql/migrations.js';

// Times are stored as bigint milliseconds; they fit a JS number exactly, so read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Any number; only has to be the same in every Hookyard process sharing a database. */
const MIGRATION_LOCK_KEY = 0x686f6f6b;

class RolledBack {
  constructor(readonly result: unknown) {}
}

export interface PostgresEngineOptions {
  connectionString: string;
  maxConnections?: number;
}

/** PostgreSQL: one transaction per write; the server's own group commit batches the fsyncs of concurrent ones. */
export class PostgresEngine implements SqlEngine {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly db: Executor;

  constructor(options: PostgresEngineOptions) {
    this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 20 });
    // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: this.pool }) });
  }

  read<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    return work(this.db);
  }

  async write<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        const result = await work(tx);
        if (isFailedOutcome(result)) throw new RolledBack(result);
        return result;
      });
    } catch (error) {
      if (error instanceof RolledBack) return error.result as T;
      throw error;
    }
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: unknown } | null)?.code === '23505';
  }

  async migrate(): Promise<void> {
    // Kysely's own migration lock lives in a table that may not exist yet; an advisory lock covers creating it.
    await this.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(connection);
      try {
        const { error } = await new Migrator({ db: connection, provider: migrationProvider('postgres') }).migrateToLatest();
        if (error) throw error;
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(connection);
      }
    });
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
