import { Type } from 'typebox';
import { DateTime, Nullable, SAFE_ID_PATTERN } from './shared-schemas.js';

/**
 * `event_types` arrives as repeated parameters or, from the Svix SDKs, as one comma-separated value; both are
 * accepted and split here.
 */
export const EventTypesQuery = Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 50 }));

export const TimeRangeQuery = {
  before: Type.Optional(Nullable(DateTime)),
  after: Type.Optional(Nullable(DateTime)),
};

const eventTypeName = new RegExp(SAFE_ID_PATTERN);

export function splitEventTypes(raw: readonly string[] | undefined): string[] | null | 'invalid' {
  if (!raw) return null;
  const names = raw.flatMap((value) => value.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  if (names.some((name) => name.length > 256 || !eventTypeName.test(name))) return 'invalid';
  return names.length > 0 ? names : null;
}

export function optionalDate(value: string | null | undefined): Date | null {
  return value ? new Date(value) : null;
}
