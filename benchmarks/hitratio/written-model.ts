// What the replayer knows it wrote: per key id, the version last stored and
// its deadline. Every get reply is judged against it: a hit must carry the
// exact bytes of the latest stored version and come before its deadline; a
// miss is put down to a cause. Only capacity misses measure the cache.
//
// Times are milliseconds on the replayer's clock. Server clocks tick in
// whole seconds, so verdicts near a deadline allow `toleranceMs` either way:
// a hit counts as expired only when sent after deadline + tolerance, a miss
// counts as a capacity miss only when answered before deadline - tolerance.

export type MissCause = 'compulsory' | 'expired' | 'capacity' | 'deleted';
export type HitVerdict = 'ok' | 'wrong' | 'expired';

/** Version codes besides a positive stored version. */
export const NEVER_STORED = 0;
/** A write to the key failed (e.g. out of memory): what the server holds is unknown, nothing valid. */
export const WRITE_FAILED = -1;
export const DELETED = -2;

export class WrittenModel {
  private readonly versions: Int32Array;
  private readonly deadlines: Float64Array;

  /** Tracks ids in [0, keySpace); ids beyond are one-hit wonders and never stored. */
  constructor(
    readonly keySpace: number,
    readonly toleranceMs: number,
  ) {
    this.versions = new Int32Array(keySpace);
    this.deadlines = new Float64Array(keySpace);
  }

  version(id: number): number {
    return id < this.keySpace ? this.versions[id]! : NEVER_STORED;
  }

  deadline(id: number): number {
    return id < this.keySpace ? this.deadlines[id]! : Infinity;
  }

  /** A write of `version` was acknowledged (STORED); `deadlineMs` Infinity = no TTL. */
  stored(id: number, version: number, deadlineMs: number): void {
    if (id >= this.keySpace) return;
    this.versions[id] = version;
    this.deadlines[id] = deadlineMs;
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

  /**
   * Judge a hit of `id` sent at `sentMs`. `matches(version)` says whether
   * the returned bytes and flags are exactly that version's.
   */
  judgeHit(id: number, sentMs: number, matches: (version: number) => boolean): HitVerdict {
    const v = this.version(id);
    if (v <= 0 || !matches(v)) return 'wrong';
    return sentMs > this.deadline(id) + this.toleranceMs ? 'expired' : 'ok';
  }
}
