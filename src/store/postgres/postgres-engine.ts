import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../port.js';
import type { Database } from '../sql/database.js';
import { isFailedOutcome, type Executor, type SqlEngine, type WriteOptions } from '../sql/engine.js';
import { migrationProvider } from '../sql/migrations.js';
import { hotStatements } from '../sql/prepared.js';
import { PostgresWorkSignal } from './work-signal.js';

// Times are stored as bigint milliseconds; they fit a JS number exactly, so read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Any number; only has to be the same in every Hookyard process sharing a database. */
const MIGRATION_LOCK_KEY = 0x686f6f6b;

/** Connection-level failures: the server is down, restarting or unreachable, not a problem with the statement. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);

function unavailableReason(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return `${code}: ${error.message}`;
  // node-postgres reports a dropped socket and a pool wait that timed out only in the message.
  if (/^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(error.message)) {
    return error.message;
  }
  return null;
}

/** Re-throws connection failures as StoreUnavailableError so that callers can tell them from bugs. */
function classify(error: unknown): never {
  const reason = unavailableReason(error);
  throw reason === null ? error : new StoreUnavailableError(reason);
}

/**
 * Runs the hot statements (see `hotStatements`) as named prepared statements: the server parses and plans each once
 * per connection, and later runs only bind and execute. Everything else goes through unchanged.
 */
class PreparingClient extends pg.Client {
  // pg's overloads of query() cannot be restated one by one: typed as never, it fits each, and returns what pg's does.
  override query(...args: unknown[]): never {
    const [text, values] = args;
    const name = typeof text === 'string' && Array.isArray(values) && args.length === 2 ? hotStatements.nameOf(text) : undefined;
    const forwarded = name === undefined ? args : [{ name, text, values }];
    return (super.query as (...forwardedArgs: unknown[]) => never)(...forwarded);
  }
}

class RolledBack {
  constructor(readonly result: unknown) {}
}

export interface PostgresEngineOptions {
  connectionString: string;
  maxConnections?: number;
  /** Called after each committed write transaction with its duration (for metrics); one write per transaction. */
  onCommit?: (writes: number, ms: number) => void;
  /**
   * Named prepared statements for the hot paths (default true). Off for a connection pooler that hands each
   * transaction a different server connection and does not track prepared statements (PgBouncer before 1.21, or
   * with `max_prepared_statements = 0`).
   */
  preparedStatements?: boolean;
}

/** How long a query waits for a pool connection before the store counts as unavailable. */
const CONNECT_TIMEOUT_MS = 5000;

/** PostgreSQL: one transaction per write; the server's own group commit batches the fsyncs of concurrent ones. */
export class PostgresEngine implements SqlEngine {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly db: Executor;

  private readonly connectionString: string;
  private readonly onCommit: ((writes: number, ms: number) => void) | undefined;

  constructor(options: PostgresEngineOptions) {
    this.connectionString = options.connectionString;
    this.onCommit = options.onCommit;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 20,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      ...(options.preparedStatements === false ? {} : { Client: PreparingClient }),
    });
    // A client losing its connection (server restart) must not crash the process. The pool only listens on idle
    // clients; a checked-out one emits 'error' too, besides failing its query, so every client gets a listener.
    // A broken client is no longer queryable, and the pool discards it on release.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: this.pool }) });
  }

  read<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    return work(this.db).catch(classify);
  }

  async write<T>(work: (tx: Executor) => Promise<T>, options?: WriteOptions): Promise<T> {
    const started = performance.now();
    try {
      const committed = await this.db.transaction().execute(async (tx) => {
        // PostgreSQL's own form of a write that needs no flush of its own; a later synchronous commit flushes it.
        if (options?.durable === false) await sql`set local synchronous_commit = off`.execute(tx);
        const result = await work(tx);
        if (isFailedOutcome(result)) throw new RolledBack(result);
        return result;
      });
      this.onCommit?.(1, performance.now() - started);
      return committed;
    } catch (error) {
      if (error instanceof RolledBack) return error.result as T;
      return classify(error);
    }
  }

  async writeStatement<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await work(this.db);
      this.onCommit?.(1, performance.now() - started);
      return result;
    } catch (error) {
      return classify(error);
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

  createWorkSignal(logger: Logger): PostgresWorkSignal {
    return new PostgresWorkSignal(this.connectionString, this.pool, logger);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
