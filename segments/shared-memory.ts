// Shared-memory building blocks for the store: typed arrays over
// SharedArrayBuffer, growable buffers with fixed-length views, the store
// mutex (an Atomics lock word that spins, then sleeps in Atomics.wait) and
// the store's readers-writer lock built on it (SharedExclusiveLock), with
// its sequence word for optimistic readers (readBegin / readValid).
//
// Not the store's layout (each part of the store declares its own buffers)
// and not the lock discipline (segment-store.ts's header says who locks what).

import { LockHistogram, nsBetween, nsSince } from './lock-histogram.js';

/** A zeroed Int32Array over a new SharedArrayBuffer. */
export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(1, length) * 4));
}

export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(1, length) * 8));
}

/** ES2024's growable SharedArrayBuffer surface (the project's lib setting is ES2022). */
interface Growable {
  readonly maxByteLength: number;
  grow(byteLength: number): void;
}
type GrowableConstructor = new (byteLength: number, options: { maxByteLength: number }) => SharedArrayBuffer;

/**
 * A growable SharedArrayBuffer of `byteLength` bytes that may grow to
 * `maxByteLength`. Runtimes cap the reservation (Node 20: 4 GiB), so a
 * refused maximum is halved until accepted (never below byteLength).
 * Readers must use fixed-length views (`new Uint32Array(sab, 0, n)`):
 * length-tracking views over a growable buffer measured 20-30x slower per
 * element access on Node 20 and 24.
 */
export function growableShared(byteLength: number, maxByteLength: number): SharedArrayBuffer {
  let max = Math.max(byteLength, maxByteLength);
  for (;;) {
    try {
      return new (SharedArrayBuffer as unknown as GrowableConstructor)(byteLength, { maxByteLength: max });
    } catch (err) {
      if (max <= byteLength) throw err;
      max = Math.max(byteLength, Math.floor(max / 2));
    }
  }
}

/** Grow `sab` to at least `byteLength`; false when its maximum does not allow it. */
export function growShared(sab: SharedArrayBuffer, byteLength: number): boolean {
  if (sab.byteLength >= byteLength) return true;
  const growable = sab as unknown as Growable;
  if (byteLength > growable.maxByteLength) return false;
  growable.grow(byteLength);
  return true;
}

/** Spacing of touchForWrite's touches: the smallest page size there is (x64; arm64 with 4 KiB pages). */
const PAGE_STRIDE = 4096;

/**
 * Fault in, for writing, every page under bytes [from, end) without
 * changing a byte: an atomic add of 0 at one byte per page and at the last
 * one (a view need not start on a page boundary). An atomic read-modify-
 * write is a write access to the CPU and the kernel, so the page comes in
 * writable (a plain read would map the shared zero page and fault again on
 * the first write), and as an atomic it cannot undo another thread's
 * concurrent write of that byte. So it is safe on memory other threads are
 * using. No-op when end <= from.
 */
export function touchForWrite(bytes: Uint8Array, from: number, end: number): void {
  if (end <= from) return;
  for (let at = from; at < end; at += PAGE_STRIDE) Atomics.add(bytes, at, 0);
  Atomics.add(bytes, end - 1, 0);
}

/** Node 24 has Atomics.pause (ES2025); Node 22 does not. */
const HAS_PAUSE = typeof (Atomics as { pause?: unknown }).pause === 'function';

/**
 * One turn of a spin-wait: x86's PAUSE (Atomics.pause) where the runtime
 * has it, else nothing. A loop of loads on a line another core is writing
 * otherwise issues them as fast as it can: each load that misses takes the
 * line away from the holder, and the loop's exit pays a pipeline flush.
 * Every spin loop over the store's lock words calls it once per turn.
 */
export function spinPause(): void {
  if (HAS_PAUSE) (Atomics as unknown as { pause(): void }).pause();
}

/** Spins before a contended lock sleeps (an uncontended lock+unlock costs ~25 ns, a sleep/wake several us). */
const SPINS = 100;

/**
 * A mutex in one Int32 of shared memory (0 free, 1 held, 2 held with
 * sleepers), the futex mutex of Drepper's "Futexes are tricky". Reentrant
 * per instance: each thread's store holds its own StoreLock over the same
 * word, and nested calls (a responder bracketing a request around store
 * calls that lock too) only count depth.
 */
export class StoreLock {
  private depth = 0;
  /** When measuring: ns spent waiting for and holding the lock, and acquisitions. */
  waitNs = 0;
  heldNs = 0;
  acquisitions = 0;
  private heldSince = 0.5;

  constructor(
    private readonly word: Int32Array,
    private readonly index: number,
    private readonly measure = false,
  ) {}

  get held(): boolean {
    return this.depth > 0;
  }

  lock(): void {
    if (this.depth++ > 0) return;
    if (this.measure) return this.lockMeasured();
    if (Atomics.compareExchange(this.word, this.index, 0, 1) !== 0) this.lockSlow();
  }

  unlock(): void {
    if (--this.depth > 0) return;
    if (this.measure) this.heldNs += nsSince(this.heldSince);
    if (Atomics.sub(this.word, this.index, 1) !== 1) {
      Atomics.store(this.word, this.index, 0);
      Atomics.notify(this.word, this.index, 1);
    }
  }

  private lockSlow(): void {
    const word = this.word;
    const i = this.index;
    for (let spin = 0; spin < SPINS; spin++) {
      if (Atomics.load(word, i) === 0 && Atomics.compareExchange(word, i, 0, 1) === 0) return;
      spinPause();
    }
    let state = Atomics.exchange(word, i, 2);
    while (state !== 0) {
      Atomics.wait(word, i, 2);
      state = Atomics.exchange(word, i, 2);
    }
  }

  private lockMeasured(): void {
    const start = performance.now();
    if (Atomics.compareExchange(this.word, this.index, 0, 1) !== 0) this.lockSlow();
    this.heldSince = performance.now();
    this.waitNs += nsBetween(start, this.heldSince);
    this.acquisitions++;
  }
}

/** Readers-writer state word: reader count in the low bits, plus these two flags. */
const WRITER_HELD = 1 << 30;
const WRITER_WAITING = 1 << 29;
const READERS = WRITER_WAITING - 1;
/** Spins a reader makes before sleeping while a writer holds or waits (a write holds ~1 us). */
const READ_SPINS = 200;
/** Loads of the sequence word an optimistic reader makes while it is odd before it gives up (readBegin). */
const SEQ_SPINS = 64;

/**
 * A writer-preferring readers-writer lock over three Int32 words of shared
 * memory: `base` the mutex contended writers queue on (a StoreLock),
 * `base + 1` the state (readers, WRITER_WAITING, WRITER_HELD), `base + 2`
 * the number of threads sleeping on the state word (so unlocks only call
 * Atomics.notify when someone sleeps).
 *
 * A reader enters with one compareExchange when no writer holds or waits.
 * A writer finding the state 0 holds with one compareExchange (no mutex:
 * -t 1 pays what the old store mutex cost); otherwise it takes the mutex,
 * raises WRITER_WAITING (new readers and fast writers then hold back, so a
 * stream of reads never starves a set), waits for the readers inside and
 * any fast writer to leave, then holds. Per-instance reentrant: each thread's store owns
 * one instance over the shared words; a shared bracket inside an exclusive
 * one only counts depth, an exclusive call inside a shared bracket is a
 * programming error (an upgrade would deadlock two upgraders) and throws.
 * Every transition is a sequentially consistent Atomics operation, so the
 * plain reads and writes of store memory inside either section are ordered
 * after the acquire and before the release.
 *
 * The sequence word (`seqIndex`, optional; on its own cache line): every
 * exclusive hold makes it odd right after it is acquired (lock, tryUpgrade)
 * and even again right before it is released, each with one Atomics.add.
 * An optimistic reader takes no lock: readBegin() returns the even value it
 * saw (or -1 when a writer stays inside), it reads store memory with plain
 * loads, and readValid(seen) tells whether no exclusive hold began or was
 * under way meanwhile; if one was, what it read may be torn and it must be
 * discarded (segment-store.ts, "Optimistic reads"). A quiet hold
 * (lock(true), tryUpgrade(true)) leaves it even until raiseSeq(): its
 * holder validates readers another way (segment-store.ts, "Striped links").
 */
export class SharedExclusiveLock {
  private readonly mutex: StoreLock;
  private readonly state: number;
  private readonly sleepers: number;
  private writeDepth = 0;
  private readDepth = 0;
  /** This thread's exclusive hold came through the mutex (contended) rather than the fast path. */
  private queued = false;
  /** This exclusive hold made the sequence word odd (raiseSeq); unlock makes it even. */
  private seqRaised = false;
  /** When measuring: ns waiting for either mode, ns holding exclusive / shared, acquisitions of each. */
  waitNs = 0;
  heldNs = 0;
  sharedNs = 0;
  acquisitions = 0;
  sharedAcquisitions = 0;
  /** When measuring: the same waits and exclusive holds, one event each, by duration (lock-histogram.ts). */
  readonly histogram: LockHistogram | null;
  /** When measuring: performance.now() at the start of this thread's current hold. */
  private since = 0.5;

  constructor(
    private readonly word: Int32Array,
    base: number,
    private readonly measure = false,
    private readonly seq = -1,
  ) {
    this.mutex = new StoreLock(word, base);
    this.state = base + 1;
    this.sleepers = base + 2;
    this.histogram = measure ? new LockHistogram() : null;
  }

  /**
   * Start an optimistic read: the (even) sequence value to hand to
   * readValid, or -1 when an exclusive holder stayed inside for SEQ_SPINS
   * loads (then take the shared lock instead). Also -1 without a sequence word.
   */
  readBegin(): number {
    const seq = this.seq;
    if (seq < 0) return -1;
    const word = this.word;
    for (let spin = 0; spin < SEQ_SPINS; spin++) {
      const v = Atomics.load(word, seq);
      if ((v & 1) === 0) return v;
      spinPause();
    }
    return -1;
  }

  /** Did no exclusive hold begin, run or end since readBegin() returned `seen`? */
  readValid(seen: number): boolean {
    return Atomics.load(this.word, this.seq) === seen;
  }

  /**
   * In an exclusive hold: make the sequence word odd (if this hold has not
   * yet), so every optimistic reader overlapping the rest of the hold is
   * void. It goes even again at the hold's unlock. Idempotent.
   */
  raiseSeq(): void {
    if (this.seqRaised || this.seq < 0 || this.writeDepth === 0) return;
    this.seqRaised = true;
    Atomics.add(this.word, this.seq, 1);
  }

  /** Has this exclusive hold made the sequence word odd (every exclusive hold but a quiet one not yet raised)? */
  get seqHeld(): boolean {
    return this.seqRaised;
  }

  /** Does this thread hold the lock exclusively? */
  get exclusive(): boolean {
    return this.writeDepth > 0;
  }

  /** Does this thread hold the lock in either mode? */
  get held(): boolean {
    return this.writeDepth > 0 || this.readDepth > 0;
  }

  /** Nesting depth of this thread's exclusive hold (0: none). */
  get depth(): number {
    return this.writeDepth;
  }

  /** Built to time its acquisitions (the measureLock tuning)? */
  get measuring(): boolean {
    return this.measure;
  }

  lockShared(): void {
    if (this.readDepth++ > 0 || this.writeDepth > 0) return;
    const start = this.measure ? performance.now() : 0;
    const word = this.word;
    const i = this.state;
    const s = Atomics.load(word, i);
    if ((s & (WRITER_HELD | WRITER_WAITING)) !== 0 || Atomics.compareExchange(word, i, s, s + 1) !== s) this.lockSharedSlow();
    if (this.measure) {
      this.since = performance.now();
      const waited = nsBetween(start, this.since);
      this.waitNs += waited;
      this.histogram!.add('wait', waited);
      this.sharedAcquisitions++;
    }
  }

  unlockShared(): void {
    if (--this.readDepth > 0 || this.writeDepth > 0) return;
    if (this.measure) this.sharedNs += nsSince(this.since);
    const word = this.word;
    const left = Atomics.sub(word, this.state, 1) - 1;
    // The last reader out lets a waiting writer in.
    if ((left & READERS) === 0 && (left & WRITER_WAITING) !== 0 && Atomics.load(word, this.sleepers) > 0) Atomics.notify(word, this.state);
  }

  /**
   * From a shared hold (this thread's only one, not nested) to an exclusive
   * one without letting go, if no other reader is inside and no writer
   * holds or waits: one compareExchange of the state from exactly one
   * reader to WRITER_HELD. Never waits, so two threads trying at once
   * cannot deadlock (at most one can see the state at 1); on false the
   * caller still holds its shared lock.
   */
  tryUpgrade(quiet = false): boolean {
    if (this.readDepth !== 1 || this.writeDepth !== 0) return false;
    if (Atomics.compareExchange(this.word, this.state, 1, WRITER_HELD) !== 1) return false;
    this.readDepth = 0;
    this.writeDepth = 1;
    if (!quiet) this.raiseSeq();
    this.queued = false;
    if (this.measure) {
      const now = performance.now();
      this.sharedNs += nsBetween(this.since, now);
      this.since = now;
      this.acquisitions++;
    }
    return true;
  }

  /**
   * Hold exclusively. `quiet`: leave the sequence word as it is (a hold
   * whose writes other validation covers: segment-store.ts "Striped
   * links"); raiseSeq() makes it an ordinary hold before its first write
   * that needs one. A nested lock() that is not quiet raises it too.
   */
  lock(quiet = false): void {
    if (this.writeDepth > 0) {
      this.writeDepth++;
      if (!quiet) this.raiseSeq();
      return;
    }
    if (this.readDepth > 0) throw new Error('store: a write inside a read bracket (use beginWrite)');
    this.writeDepth = 1;
    const start = this.measure ? performance.now() : 0;
    const word = this.word;
    const i = this.state;
    // Uncontended: straight in, no mutex (one compareExchange, as the old store mutex).
    this.queued = Atomics.compareExchange(word, i, 0, WRITER_HELD) !== 0;
    if (this.queued) this.lockQueued();
    // Odd while held: optimistic readers that overlap this hold discard what they read.
    if (!quiet) this.raiseSeq();
    if (this.measure) {
      this.since = performance.now();
      const waited = nsBetween(start, this.since);
      this.waitNs += waited;
      this.histogram!.add('wait', waited);
      this.acquisitions++;
    }
  }

  unlock(): void {
    if (--this.writeDepth > 0) return;
    if (this.measure) {
      const held = nsSince(this.since);
      this.heldNs += held;
      this.histogram!.add('held', held);
    }
    const word = this.word;
    // Even again before anyone else can hold (every write of this hold is ordered before it).
    if (this.seqRaised) {
      this.seqRaised = false;
      Atomics.add(word, this.seq, 1);
    }
    if (this.queued) {
      // Only this writer set the flags; nobody else changes them while it holds.
      Atomics.store(word, this.state, 0);
    } else {
      // A queued writer may have raised WRITER_WAITING meanwhile: keep it.
      Atomics.and(word, this.state, ~WRITER_HELD);
    }
    if (Atomics.load(word, this.sleepers) > 0) Atomics.notify(word, this.state);
    if (this.queued) this.mutex.unlock();
  }

  /**
   * A writer that found the lock busy: queue on the mutex (one such writer
   * at a time), raise WRITER_WAITING so no new reader or fast writer gets
   * in, wait until the readers inside and a fast writer have left, hold.
   */
  private lockQueued(): void {
    this.mutex.lock();
    const word = this.word;
    const i = this.state;
    let slept = false;
    for (let spin = 0; ; spin++) {
      const s = Atomics.load(word, i);
      if ((s & (READERS | WRITER_HELD)) === 0) {
        if (Atomics.compareExchange(word, i, s, WRITER_HELD | WRITER_WAITING) === s) {
          if (slept) this.wokeIn();
          return;
        }
      } else if ((s & WRITER_WAITING) === 0) {
        Atomics.or(word, i, WRITER_WAITING);
      } else if (spin >= READ_SPINS) {
        this.sleep(s, slept);
        slept = true;
      } else {
        spinPause();
      }
    }
  }

  /**
   * Called right after unlock() by a thread about to lock again at once
   * (the housekeeper between merge slices): if other threads sleep waiting
   * for the lock, sleep until one of them got in (it leaves the sleepers'
   * count and notifies that word once inside) or `maxMs` passes, so a woken
   * waiter is not beaten to the lock by the thread that just left it and
   * made to sleep again, slice after slice. A sleep, not a spin: on a core
   * the waiter shares with this thread (-t 1 pinned to one core), a spin
   * keeps the waiter from running for the whole bound. (A writer already
   * queued has raised WRITER_WAITING, which keeps the leaving thread out by
   * itself.)
   */
  handOff(maxMs: number): void {
    const word = this.word;
    const sleepers = this.sleepers;
    const deadline = performance.now() + maxMs;
    for (;;) {
      // The count first: a waiter that gets in after this load changes it before notifying, so the wait cannot miss it.
      const seen = Atomics.load(word, sleepers);
      if (seen === 0 || Atomics.load(word, this.state) !== 0) return;
      const left = deadline - performance.now();
      if (left <= 0) return;
      Atomics.wait(word, sleepers, seen, left);
    }
  }

  private lockSharedSlow(): void {
    const word = this.word;
    const i = this.state;
    let slept = false;
    for (let spin = 0; ; spin++) {
      const s = Atomics.load(word, i);
      if ((s & (WRITER_HELD | WRITER_WAITING)) === 0) {
        if (Atomics.compareExchange(word, i, s, s + 1) === s) {
          if (slept) this.wokeIn();
          return;
        }
      } else if (spin >= READ_SPINS) {
        this.sleep(s, slept);
        slept = true;
      } else {
        spinPause();
      }
    }
  }

  /**
   * Sleep until the state word changes from `seen`. The first sleep of an
   * acquisition registers in the sleepers' count (before the wait, so an
   * unlock that changes the state notifies); the thread stays counted until
   * it is inside (wokeIn), which is what handOff waits for.
   */
  private sleep(seen: number, registered: boolean): void {
    const word = this.word;
    if (!registered) Atomics.add(word, this.sleepers, 1);
    Atomics.wait(word, this.state, seen, 50);
  }

  /** A thread that slept is inside: leave the sleepers' count and wake a handOff waiting for that. */
  private wokeIn(): void {
    Atomics.sub(this.word, this.sleepers, 1);
    Atomics.notify(this.word, this.sleepers);
  }
}
