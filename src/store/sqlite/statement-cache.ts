import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * better-sqlite3 compiles a statement on every `prepare`, and Kysely prepares on every query: on the hot paths
 * (publish, claim, record) that compiling cost as much as running the statements. The same few statements recur,
 * so prepared ones are kept, by their SQL text, up to a bound (statements whose text varies, like `in (…)` lists of
 * different lengths, cycle through the oldest slots).
 */
export function withStatementCache(db: BetterSqlite3.Database, limit = 512): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        if (statements.size >= limit) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
