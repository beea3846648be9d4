import { sql, type RawBuilder } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** Column types that differ between the adapters, so that each migration is written once for both. */
export interface MigrationContext {
  dialect: Dialect;
  /** Ids compare byte-wise: "C" collation on PostgreSQL; SQLite compares text byte-wise already. */
  idType: RawBuilder<unknown>;
  /** Integer milliseconds since the epoch. */
  time: 'bigint' | 'integer';
  /** Raw bytes. */
  bytes: 'bytea' | 'blob';
}

export function migrationContext(dialect: Dialect): MigrationContext {
  return {
    dialect,
    idType: dialect === 'postgres' ? sql`text collate "C"` : sql`text`,
    time: dialect === 'postgres' ? 'bigint' : 'integer',
    bytes: dialect === 'postgres' ? 'bytea' : 'blob',
  };
}
