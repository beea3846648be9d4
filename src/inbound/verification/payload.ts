/**
 * Reading the few body fields that name an event (its id for deduplication, its type for routing). A body that is not
 * JSON, or lacks the field, yields null: the caller then falls back to a configured path or a body hash.
 */

// Provider ids are short (Stripe's evt_ ids, UUIDs, snowflakes); anything longer is not one, and would make a poor
// deduplication key, so the caller's fallback is used instead.
const MAX_ID_LENGTH = 255;

export function parseJson(body: Buffer): unknown {
  // Cheap pre-check so form posts and binary bodies skip the parser (and its exception) altogether.
  const first = body.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
  if (first !== 0x7b && first !== 0x5b) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The value at `path` inside nested objects, or undefined. Never reads inherited properties. */
export function field(value: unknown, ...path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A usable id: a non-empty string or an integer (HubSpot and Zoom send numbers), as text. */
export function idText(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH) return value;
  return null;
}

/** A usable event type name: a non-empty string. */
export function typeText(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH ? value : null;
}
