import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import type { Database } from '../sql/database.js';
import type { Executor, SqlEngine } from '../sql/engine.js';
import { migrationProvider } from '../sql/migrations.js';
import { GroupCommitter } from './group-commit.js';

export interface SqliteEngineOptions {
  path: string;
  synchronous: 'full' | 'normal';
  onCommitBatch?: (size: number, ms: number) => void;
}

/**
 * Embedded store: one writer connection whose transactions are group-committed, and a separate reader connection
 * that only ever sees committed data (WAL lets it read while the writer writes).
 */
export class SqliteEngine implements SqlEngine {
  readonly dialect = 'sqlite' as const;
  private readonly writerDb: BetterSqlite3.Database;
  private readonly readerDb: BetterSqlite3.Database;
  private readonly writer: Executor;
  private readonly reader: Executor;
  readonly committer: GroupCommitter;

  constructor(options: SqliteEngineOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    this.writerDb = new BetterSqlite3(options.path);
    this.writerDb.pragma('journal_mode = WAL');
    this.writerDb.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.writerDb.pragma('busy_timeout = 5000');
    this.writerDb.pragma('foreign_keys = ON');
    this.writerDb.pragma('case_sensitive_like = ON');
    // Checkpoints are left to SQLite's automatic threshold; the WAL stays bounded at about 4 MB.
    this.writerDb.pragma('wal_autocheckpoint = 1000');
    this.readerDb = new BetterSqlite3(options.path);
    this.readerDb.pragma('busy_timeout = 5000');
    this.readerDb.pragma('query_only = ON');
    this.readerDb.pragma('case_sensitive_like = ON');
    this.writer = new Kysely<Database>({ dialect: new SqliteDialect({ database: this.writerDb }) });
    this.reader = new Kysely<Database>({ dialect: new SqliteDialect({ database: this.readerDb }) });
    this.committer = new GroupCommitter(this.writer, 512, options.onCommitBatch);
  }

  read<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    return work(this.reader);
  }

  write<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    return this.committer.run(work);
  }

  isUniqueViolation(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.writer, provider: migrationProvider('sqlite') });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.reader);
  }

  /** One process owns the file; its API wakes its worker directly. */
  createWorkSignal(): null {
    return null;
  }

  async close(): Promise<void> {
    await this.reader.destroy();
    await this.writer.destroy();
  }
}
