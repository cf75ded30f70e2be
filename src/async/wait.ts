/**
 * Timer helpers built on `node:timers/promises`, always cancelled when no
 * longer needed so no timer outlives the work it guards.
 *
 * @module
 */

import { setTimeout as sleep } from "node:timers/promises";

/**
 * Wait for `promise` at most `ms`. Resolves `true` if it settled in time
 * (fulfilled or rejected), `false` on timeout. The timer is always cleared.
 */
export async function wait(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const settled = promise.then(() => true, () => true);
  try {
    return await Promise.race([
      settled,
      sleep(ms, false, { signal: timer.signal }).catch(() => false),
    ]);
  } finally {
    timer.abort();
  }
}

/** Sleep `ms`, or until `signal` aborts. Resolves `true` if the full time passed. */
export async function delay(ms: number, signal?: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
