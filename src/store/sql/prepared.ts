import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';
import type { SqlEngine, Executor } from './engine.js';

/**
 * A query built with Kysely once per dialect and then run many times with other values. Building a query (parsing
 * the builder calls, freezing the operation tree, compiling it to SQL) cost more CPU than executing it on the hot
 * paths (publish, record), so those queries are built once: every value is a named marker, whose positions among
 * the compiled parameters are noted, and later runs only put their values at those positions.
 */
export class PreparedQuery<Name extends string> {
  private readonly compiled = new Map<string, { sql: string; order: Name[] }>();

  constructor(private readonly build: (db: Executor, value: (name: Name) => unknown) => Compilable<unknown>) {}

  execute<R = unknown>(engine: Pick<SqlEngine, 'dialect'>, db: Executor, values: Readonly<Record<Name, unknown>>): Promise<QueryResult<R>> {
    let template = this.compiled.get(engine.dialect);
    if (template === undefined) {
      template = compileTemplate(db, this.build);
      this.compiled.set(engine.dialect, template);
    }
    const parameters = template.order.map((name) => values[name]);
    return db.executeQuery(CompiledQuery.raw(template.sql, parameters) as CompiledQuery<R>);
  }
}

function compileTemplate<Name extends string>(db: Executor, build: (db: Executor, value: (name: Name) => unknown) => Compilable<unknown>) {
  const markers = new Map<string, Name>();
  const query = build(db, (name) => {
    const marker = `\u0000prepared:${name}`;
    markers.set(marker, name);
    return marker;
  }).compile();
  const order = query.parameters.map((parameter) => {
    const name = typeof parameter === 'string' ? markers.get(parameter) : undefined;
    // A constant in the builder would be frozen into every run: only named values may vary, so refuse it.
    if (name === undefined) throw new Error(`prepared query has an unnamed parameter ${JSON.stringify(parameter)}: ${query.sql}`);
    return name;
  });
  return { sql: query.sql, order };
}

/**
 * Multi-row inserts of one table and column set, prepared per row count (each count is its own SQL text). Rows must
 * all have the columns of the first, in any order.
 */
export class PreparedInsert<Row extends object> {
  private readonly byCount = new Map<string, string>();

  constructor(private readonly table: string) {}

  async execute(engine: Pick<SqlEngine, 'dialect'>, db: Executor, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!) as (keyof Row & string)[];
    const key = `${engine.dialect}:${rows.length}:${columns.join(',')}`;
    let sql = this.byCount.get(key);
    if (sql === undefined) {
      // Compiled from a real builder call, so quoting and placeholders are the dialect's own.
      sql = db
        .insertInto(this.table as never)
        .values(rows.map(() => Object.fromEntries(columns.map((column) => [column, null]))) as never)
        .compile().sql;
      if (this.byCount.size > 256) this.byCount.clear();
      this.byCount.set(key, sql);
    }
    const parameters: unknown[] = [];
    for (const row of rows) for (const column of columns) parameters.push(row[column]);
    await db.executeQuery(CompiledQuery.raw(sql, parameters));
  }
}
