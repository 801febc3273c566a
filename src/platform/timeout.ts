/** Bounding a wait: what many shutdown, health and Redis-facing paths need, written once. */

export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * `work`'s value, or `TIMED_OUT` once `ms` have passed, whichever comes first; the timer is cleared
 * either way. `work` itself is not cancelled (its rejection still propagates if it comes first).
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
