// What the replayer knows it wrote: per key id, the version last stored and
// its deadline. Every get reply is judged against it: a hit must carry the
// exact bytes of the latest stored version and come before its deadline; a
// miss is put down to a cause. Only capacity misses measure the cache.
//
// Times are milliseconds on the replayer's clock. A write is stored at some
// moment between its send and its reply, so each key keeps two deadlines:
// the earliest (send + TTL) and the latest (reply + TTL). A miss counts as a
// capacity miss only when answered before earliest - `toleranceMs`. A hit
// counts as expired only when provable: its get was sent after latest +
// CLOCK_GRANULARITY_MS (servers, memcached and ours, date items in whole
// seconds, so an item may live up to one second past its exact deadline).
// The get is handled no earlier than it was sent, so such a hit was served
// past every deadline the server could have given the item.
//
// Two finer counts say how each server's clock treats deadlines, not
// whether it is right: a hit sent after the latest deadline but within the
// clock second (`pastDeadline`: served late by a clock that ticked late),
// and an expired miss answered before the earliest deadline
// (`beforeDeadline`: dropped early by whole-second rounding).

export type MissCause = 'compulsory' | 'expired' | 'capacity' | 'deleted';
export type HitVerdict = 'ok' | 'wrong' | 'expired';

/** Version codes besides a positive stored version. */
export const NEVER_STORED = 0;
/** A write to the key failed (e.g. out of memory): what the server holds is unknown, nothing valid. */
export const WRITE_FAILED = -1;
export const DELETED = -2;

/** Servers keep time in whole seconds: an item may be served up to this long past its exact deadline. */
export const CLOCK_GRANULARITY_MS = 1000;

export class WrittenModel {
  private readonly versions: Int32Array;
  private readonly deadlines: Float64Array;
  private readonly latestDeadlines: Float64Array;

  /** Tracks ids in [0, keySpace); ids beyond are one-hit wonders and never stored. */
  constructor(
    readonly keySpace: number,
    readonly toleranceMs: number,
  ) {
    this.versions = new Int32Array(keySpace);
    this.deadlines = new Float64Array(keySpace);
    this.latestDeadlines = new Float64Array(keySpace);
  }

  version(id: number): number {
    return id < this.keySpace ? this.versions[id]! : NEVER_STORED;
  }

  deadline(id: number): number {
    return id < this.keySpace ? this.deadlines[id]! : Infinity;
  }

  /** The latest moment the server may have dated the item's TTL from, plus the TTL. */
  latestDeadline(id: number): number {
    return id < this.keySpace ? this.latestDeadlines[id]! : Infinity;
  }

  /**
   * A write of `version` was acknowledged (STORED). `deadlineMs` is send time
   * + TTL, `latestDeadlineMs` reply time + TTL (defaults to `deadlineMs`, for
   * a replay with no queue between send and store); Infinity = no TTL.
   */
  stored(id: number, version: number, deadlineMs: number, latestDeadlineMs = deadlineMs): void {
    if (id >= this.keySpace) return;
    this.versions[id] = version;
    this.deadlines[id] = deadlineMs;
    this.latestDeadlines[id] = latestDeadlineMs;
  }

  writeFailed(id: number): void {
    if (id < this.keySpace) this.versions[id] = WRITE_FAILED;
  }

  deleted(id: number): void {
    if (id < this.keySpace && this.versions[id] !== NEVER_STORED) this.versions[id] = DELETED;
  }

  /** Why a get of `id` answered (with a miss) at `answeredMs` missed. */
  classifyMiss(id: number, answeredMs: number): MissCause {
    const v = this.version(id);
    if (v === NEVER_STORED) return 'compulsory';
    if (v === DELETED) return 'deleted';
    if (v === WRITE_FAILED) return 'capacity';
    return answeredMs >= this.deadline(id) - this.toleranceMs ? 'expired' : 'capacity';
  }

  /** A get sent at `sentMs` came after every exact deadline the server could have given the item (a hit then was served late). */
  pastDeadline(id: number, sentMs: number): boolean {
    return this.version(id) > 0 && sentMs > this.latestDeadline(id);
  }

  /** A miss answered at `answeredMs` came before the item's earliest exact deadline (an expired miss then was dropped early). */
  beforeDeadline(id: number, answeredMs: number): boolean {
    return this.version(id) > 0 && answeredMs < this.deadline(id);
  }

  /**
   * Judge a hit of `id` sent at `sentMs`. `matches(version)` says whether
   * the returned bytes and flags are exactly that version's.
   */
  judgeHit(id: number, sentMs: number, matches: (version: number) => boolean): HitVerdict {
    const v = this.version(id);
    if (v <= 0 || !matches(v)) return 'wrong';
    return sentMs > this.latestDeadline(id) + CLOCK_GRANULARITY_MS ? 'expired' : 'ok';
  }
}
