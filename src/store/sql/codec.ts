/** Conversions between the stored column forms (ms integers, 0/1, JSON text) and domain values. */

export function toDate(ms: number | string): Date {
  return new Date(Number(ms));
}

export function toOptionalDate(ms: number | string | null): Date | null {
  return ms === null ? null : new Date(Number(ms));
}

export function toBool(value: number | boolean): boolean {
  return value === 1 || value === true;
}

export function fromBool(value: boolean): number {
  return value ? 1 : 0;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export function toOptionalJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function fromOptionalJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** A LIKE pattern matching a JSON string array that contains `item`, with LIKE's wildcards escaped. */
export function jsonArrayContainsPattern(item: string): string {
  const quoted = JSON.stringify(item).replace(/[\\%_]/g, (c) => `\\${c}`);
  return `%${quoted}%`;
}
