import { sql, type SelectQueryBuilder } from 'kysely';
import type { Ordering, Page, PageQuery } from '../port.js';

type Direction = 'normal' | 'prev';

/**
 * Svix's keyset pagination: the iterator is the last id of the page; a '-' prefix walks the other way. Rows are
 * fetched one past the limit to tell whether more remain, and new rows never shift a page that was already read.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function paginate<QB extends SelectQueryBuilder<any, any, any>>(
  query: QB,
  column: string,
  page: PageQuery,
  defaultOrder: Ordering,
): { query: QB; direction: Direction } {
  const order = page.order ?? defaultOrder;
  const limited = query.limit(page.limit + 1) as QB;
  const ref = sql.ref(column);
  if (!page.iterator) {
    return { query: limited.orderBy(ref, order === 'ascending' ? 'asc' : 'desc') as QB, direction: 'normal' };
  }
  const prev = page.iterator.startsWith('-');
  const cursor = prev ? page.iterator.slice(1) : page.iterator;
  const walkDown = (prev && order === 'ascending') || (!prev && order === 'descending');
  const next = walkDown
    ? limited.where(ref, '<', cursor).orderBy(ref, 'desc')
    : limited.where(ref, '>', cursor).orderBy(ref, 'asc');
  return { query: next as QB, direction: prev ? 'prev' : 'normal' };
}

export function toPage<T>(rows: T[], page: PageQuery, direction: Direction, idOf: (row: T) => string): Page<T> {
  const done = rows.length <= page.limit;
  const data = rows.slice(0, page.limit);
  if (direction === 'prev') data.reverse();
  const first = data[0];
  const last = data[data.length - 1];
  return {
    data,
    iterator: last === undefined ? null : idOf(last),
    prevIterator: first === undefined ? null : `-${idOf(first)}`,
    done,
  };
}
