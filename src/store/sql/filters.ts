import { sql, type Expression, type SqlBool } from 'kysely';
import type { TimeRange } from '../port.js';
import { jsonArrayContainsPattern } from './codec.js';

type Condition = Expression<SqlBool>;

/**
 * Svix's `after`/`before` list filters: both bounds are exclusive. `column` is qualified (`messages.created_at`)
 * so that joined queries can use it too.
 */
export function createdBetween(column: string, range: TimeRange): Condition[] {
  const conditions: Condition[] = [];
  if (range.since) conditions.push(sql<SqlBool>`${sql.ref(column)} > ${range.since.getTime()}`);
  if (range.until) conditions.push(sql<SqlBool>`${sql.ref(column)} < ${range.until.getTime()}`);
  return conditions;
}

/** Channels are stored as a JSON array of strings, so membership is a LIKE on the quoted item. */
export function channelIncludes(column: string, channel: string): Condition {
  return sql<SqlBool>`${sql.ref(column)} like ${jsonArrayContainsPattern(channel)} escape '\\'`;
}

/** An empty list is no filter rather than "match nothing": it is what an absent repeated query parameter parses to. */
export function hasItems(list: readonly string[] | null | undefined): list is readonly string[] {
  return list !== null && list !== undefined && list.length > 0;
}
