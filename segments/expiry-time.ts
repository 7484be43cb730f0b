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
 * The second from which a `flush_all <delay>` takes effect (`nowS` means
 * at once). memcached sets its flush moment one second before
 * realtime(delay): after `flush_all 2` an older item is gone one second later
 * while an item stored in that second stays. Items stored before the
 * returned second become misses once the clock reaches it.
 */
export function flushMomentFor(delay: number, nowS: number): number {
  if (!(delay > 0)) return nowS;
  const at = deadlineFor(delay, nowS);
  if (at === EXPIRED) return nowS;
  return Math.max(nowS, at - 1);
}

