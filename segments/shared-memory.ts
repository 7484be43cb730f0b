// Shared-memory building blocks for the store: typed arrays over
// SharedArrayBuffer, growable buffers with fixed-length views, and the
// store mutex (an Atomics lock word that spins, then sleeps in Atomics.wait).
//
// Not the store's layout (each part of the store declares its own buffers)
// and not the lock discipline (segment-store.ts's header says who locks what).

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
  private heldSince = 0n;

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
    if (this.measure) this.heldNs += Number(process.hrtime.bigint() - this.heldSince);
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
    }
    let state = Atomics.exchange(word, i, 2);
    while (state !== 0) {
      Atomics.wait(word, i, 2);
      state = Atomics.exchange(word, i, 2);
    }
  }

  private lockMeasured(): void {
    const start = process.hrtime.bigint();
    if (Atomics.compareExchange(this.word, this.index, 0, 1) !== 0) this.lockSlow();
    this.heldSince = process.hrtime.bigint();
    this.waitNs += Number(this.heldSince - start);
    this.acquisitions++;
  }
}
