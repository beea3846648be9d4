import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import type { Database } from '../sql/database.js';
import type { Executor, SqlEngine, WriteOptions } from '../sql/engine.js';
import { migrationProvider } from '../sql/migrations.js';
import { GroupCommitter, WalSyncer, type Savepoints } from './group-commit.js';
import { withStatementCache } from './statement-cache.js';
import { Checkpointer, type CheckpointPolicy } from './checkpointer.js';

export interface SqliteEngineOptions {
  path: string;
  synchronous: 'full' | 'normal';
  onCommitBatch?: (size: number, ms: number) => void;
  checkpoints?: CheckpointPolicy;
}

/** The savepoint statements the group committer brackets each write with, prepared once. */
export function savepointsOn(db: BetterSqlite3.Database): Savepoints {
  const begin = db.prepare('SAVEPOINT w');
  const undo = db.prepare('ROLLBACK TO w');
  const release = db.prepare('RELEASE w');
  return { begin: () => void begin.run(), undo: () => void undo.run(), release: () => void release.run() };
}

/**
 * Embedded store: one writer connection whose transactions are group-committed, and a separate reader connection
 * that only ever sees committed data (WAL lets it read while the writer writes).
 *
 * Durability (`synchronous: 'full'`) without blocking the event loop: SQLite itself runs with synchronous=NORMAL, so
 * COMMIT only writes the transaction's frames to the WAL file, and the engine then fdatasyncs the WAL file on libuv's
 * thread pool before any caller of that transaction is answered. Once the frames are on disk the transaction
 * survives power loss, exactly as with SQLite's own FULL mode, which would do the same fsync on the calling thread
 * (about 1.5 ms on this class of disk, during which nothing else could run). Checkpoints keep SQLite's NORMAL-mode
 * syncs of the WAL before, and of the database after, copying.
 */
export class SqliteEngine implements SqlEngine {
  readonly dialect = 'sqlite' as const;
  private readonly writerDb: BetterSqlite3.Database;
  private readonly readerDb: BetterSqlite3.Database;
  private readonly writer: Executor;
  private readonly reader: Executor;
  readonly committer: GroupCommitter;
  private wal: Promise<FileHandle> | null = null;
  private readonly checkpointer: Checkpointer;

  constructor(private readonly options: SqliteEngineOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    this.writerDb = new BetterSqlite3(options.path);
    this.writerDb.pragma('journal_mode = WAL');
    this.writerDb.pragma('synchronous = NORMAL');
    this.writerDb.pragma('busy_timeout = 5000');
    this.writerDb.pragma('foreign_keys = ON');
    this.writerDb.pragma('case_sensitive_like = ON');
    // Checkpoints run in a worker thread (Checkpointer), not inside this connection's commits; should that thread
    // fail, SQLite's automatic checkpoints take over again. A WAL reset past 64 MB truncates the file.
    this.writerDb.pragma('wal_autocheckpoint = 0');
    this.writerDb.pragma('journal_size_limit = 67108864');
    this.readerDb = new BetterSqlite3(options.path);
    this.readerDb.pragma('busy_timeout = 5000');
    for (const db of [this.writerDb, this.readerDb]) {
      // The default 2 MB page cache thrashes once the tables outgrow it; memory-mapped reads skip a copy per page.
      db.pragma('cache_size = -65536');
      db.pragma('mmap_size = 268435456');
      db.pragma('temp_store = MEMORY');
    }
    this.readerDb.pragma('query_only = ON');
    this.readerDb.pragma('case_sensitive_like = ON');
    this.writer = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(this.writerDb) }) });
    this.reader = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(this.readerDb) }) });
    const syncer = new WalSyncer(() => this.syncWal());
    this.checkpointer = new Checkpointer(
      options.path,
      (work) => this.committer.between(work),
      () => this.writerDb.pragma('wal_autocheckpoint = 1000'),
      options.checkpoints,
    );
    this.committer = new GroupCommitter(
      this.writer,
      savepointsOn(this.writerDb),
      options.synchronous === 'full' ? () => syncer.request() : null,
      512,
      (size, ms) => {
        this.checkpointer.committed();
        options.onCommitBatch?.(size, ms);
      },
    );
  }

  /** fdatasync of the WAL file (any descriptor of a file syncs its data); the directory once, for the new file. */
  private async syncWal(): Promise<void> {
    this.wal ??= (async () => {
      const handle = await open(`${this.options.path}-wal`, 'r');
      const directory = await open(dirname(this.options.path), 'r');
      await directory.sync().finally(() => directory.close());
      return handle;
    })();
    const handle = await this.wal.catch((error: unknown) => {
      this.wal = null;
      throw error;
    });
    await handle.datasync();
  }

  read<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    return work(this.reader);
  }

  write<T>(work: (tx: Executor) => Promise<T>, options?: WriteOptions): Promise<T> {
    return this.committer.run(work, options?.durable ?? true);
  }

  writeStatement<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    return this.write(work);
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
    await this.checkpointer.close();
    await this.reader.destroy();
    await this.writer.destroy();
    const wal = this.wal;
    this.wal = null;
    await wal?.then((handle) => handle.close()).catch(() => undefined);
  }
}
