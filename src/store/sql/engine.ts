import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { WorkSignal } from '../../coordination/port.js';
import type { Database } from './database.js';

export type Executor = Kysely<Database>;

export interface WriteOptions {
  /**
   * False for writes whose loss in a machine crash (not a process crash: the operating system still holds them)
   * would only repeat work: a claim's lease, a delivery's recorded result (the delivery is sent again). Such a
   * write is answered once it and every write committed before it are as safe as they are going to be, without a
   * disk sync of its own. Default true: answered only once on disk.
   */
  durable?: boolean;
}

/**
 * What an adapter supplies to the shared SQL store: a way to read committed data and a way to run writes in a
 * transaction. An adapter may run several callers' writes in one transaction (group commit); a write whose result
 * is a failed Outcome is rolled back on its own without touching the others.
 */
export interface SqlEngine {
  readonly dialect: 'sqlite' | 'postgres';
  read<T>(work: (db: Executor) => Promise<T>): Promise<T>;
  write<T>(work: (tx: Executor) => Promise<T>, options?: WriteOptions): Promise<T>;
  /**
   * A durable write of a single statement, atomic by itself. PostgreSQL runs it without a transaction around it,
   * which spares the BEGIN and COMMIT round trips; SQLite runs it as any write (its transactions cost no round trip).
   */
  writeStatement<T>(work: (db: Executor) => Promise<T>): Promise<T>;
  isUniqueViolation(error: unknown): boolean;
  migrate(): Promise<void>;
  ping(): Promise<void>;
  /** Cross-process wake-ups through the database itself, where it has them; null for a single-process store. */
  createWorkSignal(logger: Logger): WorkSignal | null;
  close(): Promise<void>;
}

/** True for `{ ok: false, … }` results, which the engine rolls back. */
export function isFailedOutcome(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false;
}
