/**
 * Resolves `fallback` when `work` has not settled within `ms`. The work itself goes on: this bounds how long a
 * caller waits (a health probe, a metrics scrape), it cannot cancel a query already sent.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
