import { CompiledQuery, sql, type Compilable, type QueryResult, type RawBuilder, type SqlBool } from 'kysely';
import type { SqlEngine, Executor } from './engine.js';

type Dialect = SqlEngine['dialect'];

/**
 * A query built with Kysely once per dialect and then run many times with other values. Building a query (parsing
 * the builder calls, freezing the operation tree, compiling it to SQL) cost more CPU than executing it on the hot
 * paths (publish, record), so those queries are built once: every value is a named marker, whose positions among
 * the compiled parameters are noted, and later runs only put their values at those positions.
 */
export class PreparedQuery<Name extends string> {
  private readonly compiled = new Map<string, { sql: string; order: Name[] }>();

  /** `build` gets the dialect for the few statements whose SQL differs between the two (see `inList`). */
  constructor(private readonly build: (db: Executor, value: (name: Name) => unknown, dialect: Dialect) => Compilable<unknown>) {}

  execute<R = unknown>(engine: Pick<SqlEngine, 'dialect'>, db: Executor, values: Readonly<Record<Name, unknown>>): Promise<QueryResult<R>> {
    let template = this.compiled.get(engine.dialect);
    if (template === undefined) {
      template = compileTemplate(db, (builder: Executor, value: (name: Name) => unknown) => this.build(builder, value, engine.dialect));
      this.compiled.set(engine.dialect, template);
      if (engine.dialect === 'postgres') hotStatements.add(template.sql);
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
 * `column in (…)` over a whole list passed as one parameter (made by `listValue`), so that the statement is the same
 * however long the list and can be prepared once: SQLite reads the list as JSON, PostgreSQL as an array.
 */
export function inList(dialect: Dialect, column: string, list: unknown): RawBuilder<SqlBool> {
  return dialect === 'postgres'
    ? sql<SqlBool>`${sql.ref(column)} = any(${list}::text[])`
    : sql<SqlBool>`${sql.ref(column)} in (select value from json_each(${list}))`;
}

/** The parameter `inList` expects for `items`. */
export function listValue(dialect: Dialect, items: readonly string[]): unknown {
  return dialect === 'postgres' ? items : JSON.stringify(items);
}

/** A raw `sql` statement as PreparedQuery builds it (raw builders compile against an executor of their own). */
export function compilableRaw(db: Executor, query: RawBuilder<unknown>): Compilable<unknown> {
  return { compile: () => query.compile(db) };
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
      if (engine.dialect === 'postgres') hotStatements.add(sql);
    }
    const parameters: unknown[] = [];
    for (const row of rows) for (const column of columns) parameters.push(row[column]);
    await db.executeQuery(CompiledQuery.raw(sql, parameters));
  }
}

/**
 * PostgreSQL: one row of a table and rows of another (at least one), inserted by a single statement, the first
 * insert in a data-modifying CTE, so that together they are atomic without a transaction around them. Prepared per
 * row count, like PreparedInsert.
 */
export class PreparedInsertWith<Head extends object, Row extends object> {
  private readonly byCount = new Map<string, string>();

  constructor(
    private readonly headTable: string,
    private readonly table: string,
  ) {}

  async execute(db: Executor, head: Head, rows: readonly Row[]): Promise<void> {
    const headColumns = Object.keys(head) as (keyof Head & string)[];
    const columns = Object.keys(rows[0]!) as (keyof Row & string)[];
    const key = `${rows.length}:${headColumns.join(',')}:${columns.join(',')}`;
    let sql = this.byCount.get(key);
    if (sql === undefined) {
      const nulls = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, null]));
      sql = db
        .with('head', (cte) => cte.insertInto(this.headTable as never).values(nulls(headColumns) as never))
        .insertInto(this.table as never)
        .values(rows.map(() => nulls(columns)) as never)
        .compile().sql;
      if (this.byCount.size > 256) this.byCount.clear();
      this.byCount.set(key, sql);
      hotStatements.add(sql);
    }
    const parameters: unknown[] = headColumns.map((column) => head[column]);
    for (const row of rows) for (const column of columns) parameters.push(row[column]);
    await db.executeQuery(CompiledQuery.raw(sql, parameters));
  }
}

/** Beyond this many, further hot statements run unnamed: each name costs a plan in every pooled connection. */
const MAX_NAMED_STATEMENTS = 200;

/**
 * The SQL texts of PreparedQuery, PreparedInsert and PreparedInsertWith on PostgreSQL, named so that the PostgreSQL
 * adapter can prepare each once per connection and then only bind and execute it, skipping parse and plan: about a
 * third of the server's CPU for a publish.
 */
class HotStatements {
  private readonly names = new Map<string, string>();

  add(text: string): void {
    if (this.names.has(text) || this.names.size >= MAX_NAMED_STATEMENTS) return;
    // A `*` projection changes its row type when a migration adds a column, and PostgreSQL then refuses the
    // prepared statement ("cached plan must not change result type") in every process still running it.
    if (/(^|[\s,])("?\w+"?\.)?\*(\s|,|$)/.test(text)) return;
    this.names.set(text, `hookyard_${this.names.size + 1}`);
  }

  /** The statement name for this SQL text, if it is a hot one. */
  nameOf(text: string): string | undefined {
    return this.names.get(text);
  }
}

export const hotStatements = new HotStatements();
