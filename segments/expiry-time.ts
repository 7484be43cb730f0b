// memcached's exptime rules turned into absolute deadlines in unix seconds.
//
// 0 never expires; a negative exptime is already expired; 1..30 days is
// relative to now; anything larger is an absolute unix time, and one in the
// past is already expired. An item is live while now < deadline: it hits up
// to its deadline second and never at or after it, as memcached.

/** Largest relative exptime (30 days); above it exptime is a unix time. */
export const MAX_RELATIVE_EXPTIME = 60 * 60 * 24 * 30;
/** Deadline value meaning "never expires". */
export const NEVER = 0;
/** Deadline value meaning "already expired" (a set stores such an item with its deadline at the current second). */
export const EXPIRED = -1;
/** Deadlines are stored as Uint32; clamp far-future absolute times. */
const MAX_DEADLINE = 0xfffffffe;

/** Deadline (unix seconds), NEVER or EXPIRED for a raw memcached exptime at `nowS`. */
export function deadlineFor(exptime: number, nowS: number): number {
  if (exptime === 0) return NEVER;
  if (exptime < 0 || !Number.isFinite(exptime)) return EXPIRED;
  const deadline = exptime <= MAX_RELATIVE_EXPTIME ? nowS + Math.floor(exptime) : Math.floor(exptime);
  if (deadline <= nowS) return EXPIRED;
  return deadline > MAX_DEADLINE ? MAX_DEADLINE : deadline;
}

/**
 * The last second a `flush_all <delay>` removes: memcached's oldest_live, in
 * unix seconds. Once the clock reaches it, every item stored in that second
 * or before is a miss, including items stored during that second after the
 * flush took effect (memcached compares whole seconds: item time <=
 * oldest_live). With CAS memcached sets it one second before realtime(delay),
 * and an immediate flush (no delay, or a time already past) one second
 * before now, so sets after the command survive (its CAS cliff); with -C
 * it is realtime(delay) itself, and now for an immediate flush. Measured
 * against memcached 1.6.18: `flush_all 2` empties the cache one second
 * later and loses the sets of that whole second (-C: two seconds later);
 * `flush_all 1` loses the rest of the current second's sets (-C: the next
 * second's).
 */
export function flushMomentFor(delay: number, nowS: number, casEnabled = true): number {
  const at = delay > 0 ? deadlineFor(delay, nowS) : EXPIRED;
  const realtime = at === EXPIRED ? nowS : at;
  return casEnabled ? realtime - 1 : realtime;
}
