// The live advisor across threads (-t N): each worker's AdvisedStore feeds
// a RingSink, a bounded single-producer ring in a SharedArrayBuffer; one
// thread (the housekeeper) drains every ring into the one set of copies
// (RingDrain) and publishes the curve into a shared result buffer that any
// thread reads for `stats advisor` and /metrics (SharedReport). One advisor
// for all threads, so a key's requests meet the same copies whichever
// worker served them; a full ring drops the record (counted, never waits).
//
// Ring layout (Int32 words): HEAD (records written, producer only), TAIL
// (records read, consumer only), DROPPED, spare; a Float64 cell with the
// producer's count of all gets; then CAPACITY records of 4 words:
// [op | keyLength << 8, hash, value length (or fill), exptime].
//
// Not here: the copies (sizing-advisor.ts), the hook (advised-store.ts).

import type { AdvisorReport, AdvisorSink } from './advised-store.js';
import type { CurvePoint } from './sizing-advisor.js';
import { batchClock } from '../batch-clock.js';

/** Records per ring: at rate 1/100 a worker fills it only past ~3 M requests a second between 250 ms drains. */
export const RING_CAPACITY = 8192;
const RECORD_WORDS = 4;
const HEAD = 0;
const TAIL = 1;
const DROPPED = 2;
const HEADER_BYTES = 32;
const GETS_CELL = 2; // Float64 index (byte 16)
const OP_GET = 1;
const OP_SET = 2;
const OP_DELETE = 3;
const OP_TOUCH = 4;
const OP_ARITH = 5;
/** Result buffer: header cells, then POINT_CELLS per point. */
const RESULT_HEADER = 5;
const POINT_CELLS = 7;
const MAX_POINTS = 32;

export interface AdvisorRingsMemory {
  rate: number;
  seed: number;
  /** One ring per producing thread. */
  rings: SharedArrayBuffer[];
  /** The published curve (Float64). */
  result: SharedArrayBuffer;
}

export function newAdvisorRings(producers: number, rate: number, seed: number): AdvisorRingsMemory {
  const rings: SharedArrayBuffer[] = [];
  for (let i = 0; i < producers; i++) rings.push(new SharedArrayBuffer(HEADER_BYTES + RING_CAPACITY * RECORD_WORDS * 4));
  const result = new SharedArrayBuffer((RESULT_HEADER + MAX_POINTS * POINT_CELLS) * 8);
  return { rate, seed, rings, result };
}

/** A worker's end of its ring. */
export class RingSink implements AdvisorSink {
  allGets = 0;
  private readonly words: Int32Array;
  private readonly cells: Float64Array;

  constructor(ring: SharedArrayBuffer) {
    this.words = new Int32Array(ring);
    this.cells = new Float64Array(ring, 0, HEADER_BYTES / 8);
  }

  get(hash: number, keyLength: number, fill: number, exptime: number): void {
    this.push(OP_GET | (keyLength << 8), hash, fill, exptime);
  }

  set(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    this.push(OP_SET | (keyLength << 8), hash, valueLength, exptime);
  }

  delete(hash: number, keyLength: number): void {
    this.push(OP_DELETE | (keyLength << 8), hash, 0, 0);
  }

  touch(hash: number, keyLength: number, exptime: number): void {
    this.push(OP_TOUCH | (keyLength << 8), hash, 0, exptime);
  }

  arith(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    this.push(OP_ARITH | (keyLength << 8), hash, valueLength, exptime);
  }

  private push(a: number, hash: number, b: number, c: number): void {
    const words = this.words;
    this.cells[GETS_CELL] = this.allGets;
    const head = words[HEAD]!;
    if (((head - Atomics.load(words, TAIL)) | 0) >= RING_CAPACITY) {
      Atomics.add(words, DROPPED, 1);
      return;
    }
    const at = HEADER_BYTES / 4 + ((head >>> 0) % RING_CAPACITY) * RECORD_WORDS;
    words[at] = a;
    words[at + 1] = hash | 0;
    words[at + 2] = b;
    words[at + 3] = c;
    // Release: the record's words are visible before the new head.
    Atomics.store(words, HEAD, (head + 1) | 0);
  }
}

/** The draining thread's view of every ring. */
export class RingDrain {
  private readonly rings: { words: Int32Array; cells: Float64Array }[];

  constructor(memory: AdvisorRingsMemory) {
    this.rings = memory.rings.map((r) => ({ words: new Int32Array(r), cells: new Float64Array(r, 0, HEADER_BYTES / 8) }));
  }

  /**
   * Apply every record waiting in every ring to `sink`; sets sink.allGets to
   * the producers' sum. Returns records applied. The batch clock is held
   * meanwhile: nine copies each asking Date.now() per record was a tenth of
   * the copies' time (the copies' second resolution cannot tell).
   */
  drain(sink: AdvisorSink): number {
    batchClock.hold();
    try {
      return this.drainAll(sink);
    } finally {
      batchClock.release();
    }
  }

  private drainAll(sink: AdvisorSink): number {
    let applied = 0;
    let gets = 0;
    for (const { words, cells } of this.rings) {
      const head = Atomics.load(words, HEAD);
      let tail = words[TAIL]!;
      while (tail !== head) {
        const at = HEADER_BYTES / 4 + ((tail >>> 0) % RING_CAPACITY) * RECORD_WORDS;
        const a = words[at]!;
        const hash = words[at + 1]! >>> 0;
        const op = a & 0xff;
        const keyLength = (a >>> 8) & 0xff;
        if (op === OP_GET) sink.get(hash, keyLength, words[at + 2]!, words[at + 3]!);
        else if (op === OP_SET) sink.set(hash, keyLength, words[at + 2]!, words[at + 3]!);
        else if (op === OP_DELETE) sink.delete(hash, keyLength);
        else if (op === OP_TOUCH) sink.touch(hash, keyLength, words[at + 3]!);
        else sink.arith(hash, keyLength, words[at + 2]!, words[at + 3]!);
        tail = (tail + 1) | 0;
        applied++;
      }
      Atomics.store(words, TAIL, tail);
      gets += cells[GETS_CELL]!;
    }
    sink.allGets = gets;
    return applied;
  }

  dropped(): number {
    let n = 0;
    for (const { words } of this.rings) n += Atomics.load(words, DROPPED);
    return n;
  }
}

/** Write a report's curve into the result buffer (the draining thread). */
export function publishCurve(memory: AdvisorRingsMemory, report: AdvisorReport, dropped: number): void {
  const cells = new Float64Array(memory.result);
  const curve = report.curve().slice(0, MAX_POINTS);
  cells[0] = report.sampledRequests();
  cells[1] = dropped;
  cells[2] = report.memoryBytes();
  cells[4] = report.anchorOffset();
  curve.forEach((p, i) => {
    const at = RESULT_HEADER + i * POINT_CELLS;
    cells[at] = p.memoryBytes;
    cells[at + 1] = p.gets;
    cells[at + 2] = p.hits;
    cells[at + 3] = p.hitRatio;
    cells[at + 4] = p.items;
    cells[at + 5] = p.copyBytes;
    cells[at + 6] = p.oversize + (p.lowSample ? 0.5 : 0);
  });
  // Written last: a reader sees the point count only once the points are there.
  cells[3] = curve.length;
}

/** Any thread's reader of the published curve (up to one publish old: about a second). */
export class SharedReport implements AdvisorReport {
  readonly rate: number;
  private readonly cells: Float64Array;

  constructor(memory: AdvisorRingsMemory) {
    this.rate = memory.rate;
    this.cells = new Float64Array(memory.result);
  }

  curve(): CurvePoint[] {
    const cells = this.cells;
    const out: CurvePoint[] = [];
    for (let i = 0; i < cells[3]!; i++) {
      const at = RESULT_HEADER + i * POINT_CELLS;
      const flag = cells[at + 6]!;
      out.push({
        memoryBytes: cells[at]!,
        gets: cells[at + 1]!,
        hits: cells[at + 2]!,
        hitRatio: cells[at + 3]!,
        items: cells[at + 4]!,
        copyBytes: cells[at + 5]!,
        oversize: Math.floor(flag),
        lowSample: flag % 1 !== 0,
      });
    }
    return out;
  }

  sampledRequests(): number {
    return this.cells[0]!;
  }

  dropped(): number {
    return this.cells[1]!;
  }

  memoryBytes(): number {
    return this.cells[2]!;
  }

  anchorOffset(): number {
    return this.cells[4]!;
  }
}
