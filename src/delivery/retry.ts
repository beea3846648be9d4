/**
 * When to try a failed delivery again. The schedule lists the seconds before each retry, so a delivery gets
 * `1 + schedule.length` attempts in all; each delay is spread by ±20 % so that deliveries failed together (an
 * endpoint outage) do not all come back in the same instant.
 */

const JITTER = 0.2;

/** A receiver asking for more than this is treated as asking for this: one hour keeps a bad header from parking work for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

export function attemptsAllowed(schedule: readonly number[]): number {
  return 1 + schedule.length;
}

/**
 * Milliseconds to wait after failed attempt number `attemptsMade` (1-based), or null when that was the last one.
 * `random` returns [0, 1) and is injectable so the spread can be tested exactly.
 */
export function retryDelayMs(schedule: readonly number[], attemptsMade: number, random: () => number = Math.random): number | null {
  const seconds = schedule[attemptsMade - 1];
  if (seconds === undefined) return null;
  const spread = 1 + JITTER * (2 * random() - 1);
  return Math.round(seconds * 1000 * spread);
}

/**
 * A `Retry-After` value (RFC 9110 §10.2.3: delay seconds, or an HTTP date) as milliseconds from `now`, clamped to
 * [0, MAX_RETRY_AFTER_MS]; null when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return null;
  let ms: number;
  if (/^\d+$/.test(raw)) {
    ms = Number(raw) * 1000;
  } else {
    // An HTTP date always names its month; without letters, Date.parse would take "-5" or "1.5" for a date.
    const date = /[a-z]/i.test(raw) ? Date.parse(raw) : Number.NaN;
    if (Number.isNaN(date)) return null;
    ms = date - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/**
 * The delay before the next attempt: the schedule's, or longer when the receiver asked for more with Retry-After
 * (only 429 and 503 carry that meaning). Null when the attempts are used up, whatever the receiver asked.
 */
export function nextRetryDelayMs(
  schedule: readonly number[],
  attemptsMade: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const scheduled = retryDelayMs(schedule, attemptsMade, random);
  if (scheduled === null) return null;
  return retryAfterMs === null ? scheduled : Math.max(scheduled, retryAfterMs);
}
