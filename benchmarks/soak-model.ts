// What each soak key may hold, so every read can be judged. One worker owns
// a key and talks to the server over one connection at a time, so the
// server applies that key's operations in the order they were sent; a
// dropped connection's operations may or may not have been applied, and
// are known to be finished once the server has closed that connection.
//
// A key's candidates are the versions that may be current, each with the
// sequence number of the write and its expiry. A confirmed write (STORED)
// or delete drops every candidate sent before it. A read may return a miss
// (evictions, expiry) or a candidate that had not expired when the read
// was sent (with EXPIRY_SLACK_MS for whole-second clocks).

/** Reads of an item more than this past its expiry are wrong. */
export const EXPIRY_SLACK_MS = 2000;

interface Candidate {
  seq: number;
  /** Unix ms after which the item must not be served; Infinity when no TTL or not yet known. */
  expiresAtMs: number;
  ttlSeconds: number;
  confirmed: boolean;
}

export class KeyModel {
  private readonly candidates = new Map<number, Candidate>();

  /** A write of `version` was sent (it may apply even if its reply never comes). */
  writeSent(version: number, seq: number, ttlSeconds: number): void {
    this.candidates.set(version, { seq, expiresAtMs: Infinity, ttlSeconds, confirmed: false });
  }

  /** The server answered STORED at `nowMs`: nothing sent before it can be current. */
  writeStored(version: number, nowMs: number): void {
    const c = this.candidates.get(version);
    if (c === undefined) return;
    for (const [v, other] of this.candidates) if (other.seq < c.seq) this.candidates.delete(v);
    c.confirmed = true;
    // The server started the TTL between sending and now; allow for the latest.
    c.expiresAtMs = c.ttlSeconds > 0 ? nowMs + c.ttlSeconds * 1000 : Infinity;
  }

  /**
   * The connection that sent unanswered writes is gone and the server has
   * closed its side (`nowMs`): whatever it applied, it applied by now.
   */
  connectionGone(nowMs: number): void {
    for (const c of this.candidates.values()) {
      if (!c.confirmed && c.ttlSeconds > 0) c.expiresAtMs = nowMs + c.ttlSeconds * 1000;
    }
  }

  /** The write was refused (the old value may or may not remain). */
  writeFailed(version: number): void {
    this.candidates.delete(version);
  }

  /** A delete (sequence `seq`) was answered: only later writes can be current. */
  deleted(seq: number): void {
    for (const [v, c] of this.candidates) if (c.seq < seq) this.candidates.delete(v);
  }

  /** Judge a hit on `version` for a read sent at `sentAtMs`; undefined when it is fine. */
  judgeHit(version: number, sentAtMs: number): string | undefined {
    const c = this.candidates.get(version);
    if (c === undefined) return `version ${version} was never current (overwritten, deleted or never written)`;
    if (sentAtMs > c.expiresAtMs + EXPIRY_SLACK_MS) {
      return `version ${version} served ${((sentAtMs - c.expiresAtMs) / 1000).toFixed(1)} s after it expired`;
    }
    return undefined;
  }
}
