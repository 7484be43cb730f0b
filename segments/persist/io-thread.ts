// One helper thread that does positional reads or writes of staging slots
// for a caller that fills or drains the other slot meanwhile: the write
// thread of an O_DIRECT save (image-writer.ts) and the read-ahead of an
// O_DIRECT restore (image-reader.ts). It shares the caller's descriptor and
// slots (views of one SharedArrayBuffer); the caller posts a job (slot,
// length, position), goes on, and waits for it with Atomics, synchronously
// (a save runs while the server stops, a restore before it listens).
//
// The caller may only touch a slot with no job in flight; at most two jobs
// are in flight. Until the thread runs nothing is posted (the caller does
// the I/O itself); a caller that gives up waiting for the start makes the
// thread exit without touching the file. Not here: what the bytes are.

import { Worker } from 'node:worker_threads';

export type IoKind = 'read' | 'write';

// The thread's whole program: wait for a posted job, do it, record its bytes (-1: failed), count it done.
const THREAD_SOURCE = `
const { workerData } = require('node:worker_threads');
const { readSync, writeSync } = require('node:fs');
const { kind, fd, control, jobs, ring, slots, block, error } = workerData;
if (Atomics.compareExchange(control, 3, 0, 1) === 0) {
  for (let next = 0; ; next++) {
    while (Atomics.load(control, 0) <= next) Atomics.wait(control, 0, next);
    if (Atomics.load(control, 4) === 1) break;
    const slot = ring[next % 2];
    const bytes = slots[slot];
    const length = jobs[slot * 3];
    const position = jobs[slot * 3 + 1];
    let done = 0;
    try {
      while (done < length) {
        const n = kind === 'write'
          ? writeSync(fd, bytes, done, length - done, position + done)
          : readSync(fd, bytes, done, length - done, position + done);
        if (kind === 'read' && n === 0) break;
        // Direct I/O moves whole blocks; a short read is the end of the file, a short write a full device.
        if (n <= 0 || n % block !== 0) {
          if (kind === 'read') { done += n; break; }
          throw new Error('short direct write (' + n + ' of ' + (length - done) + ' bytes)');
        }
        done += n;
      }
    } catch (err) {
      done = -1;
      if (Atomics.compareExchange(control, 2, 0, 1) === 0) {
        const text = Buffer.from(String(err && err.message)).subarray(0, error.length);
        error.set(text);
        Atomics.store(control, 5, text.length);
      }
    }
    jobs[slot * 3 + 2] = done;
    Atomics.store(control, 1, next + 1);
    Atomics.notify(control, 1);
  }
}
`;

/** Control words shared with the thread. */
const POSTED = 0;
const DONE = 1;
const FAILED = 2;
/** 0 starting, 1 running, 2 given up on (it then exits without touching the file). */
const STATE = 3;
const STOP = 4;
const ERROR_LENGTH = 5;

export class IoThread {
  private readonly control = new Int32Array(new SharedArrayBuffer(8 * 4));
  /** Per slot: length, position, and the bytes done (-1: failed). */
  private readonly jobs: Float64Array;
  /** The slot of job k is ring[k % 2]. */
  private readonly ring = new Int32Array(new SharedArrayBuffer(2 * 4));
  /** The thread's first error message (UTF-8; its length in control word ERROR_LENGTH). */
  private readonly error = new Uint8Array(new SharedArrayBuffer(256));
  private posted = 0;
  private usable = true;

  constructor(kind: IoKind, fd: number, slots: readonly Uint8Array[], block: number) {
    this.jobs = new Float64Array(new SharedArrayBuffer(slots.length * 3 * 8));
    try {
      const worker = new Worker(THREAD_SOURCE, {
        eval: true,
        workerData: { kind, fd, control: this.control, jobs: this.jobs, ring: this.ring, slots, block, error: this.error },
      });
      worker.unref();
      worker.on('error', () => {});
    } catch {
      this.usable = false;
    }
  }

  /**
   * Whether jobs can be posted: the thread runs. With `waitMs` > 0, wait that
   * long for it to start, and if it has not, give up on it for good.
   */
  ready(waitMs = 0): boolean {
    if (!this.usable) return false;
    const t0 = Date.now();
    while (Atomics.load(this.control, STATE) === 0 && Date.now() - t0 < waitMs) Atomics.wait(this.control, STATE, 0, 5);
    if (waitMs > 0 && Atomics.compareExchange(this.control, STATE, 0, 2) === 0) this.usable = false;
    return this.usable && Atomics.load(this.control, STATE) === 1;
  }

  /** Hand `slot` to the thread: `length` bytes at file `position`. False (do it yourself) when it does not run. */
  post(slot: number, length: number, position: number): boolean {
    if (!this.ready()) return false;
    this.jobs[slot * 3] = length;
    this.jobs[slot * 3 + 1] = position;
    this.ring[this.posted % 2] = slot;
    this.posted++;
    Atomics.store(this.control, POSTED, this.posted);
    Atomics.notify(this.control, POSTED);
    return true;
  }

  /** Jobs posted so far. */
  get count(): number {
    return this.posted;
  }

  /** Wait until the first `count` jobs are done (a minute without progress: the thread is given up on and this throws). */
  wait(count: number, stalled: string): void {
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done >= count) return;
      if (Atomics.wait(this.control, DONE, done, JOB_MS) === 'timed-out' && Atomics.load(this.control, DONE) === done) {
        // The job may still touch its slot later, so nothing more goes through this thread.
        this.stop();
        throw new Error(stalled);
      }
    }
  }

  /** Bytes the last job on `slot` moved, or -1 when it failed. */
  result(slot: number): number {
    return this.jobs[slot * 3 + 2]!;
  }

  /** The first failure's message, or null when no job failed. */
  failure(): string | null {
    if (Atomics.load(this.control, FAILED) === 0) return null;
    return Buffer.from(this.error.subarray(0, Atomics.load(this.control, ERROR_LENGTH))).toString() || 'direct I/O failed on the helper thread';
  }

  /** Let the thread exit after its current job (call once no job is wanted; waiting for jobs is the caller's). */
  stop(): void {
    if (!this.usable) return;
    this.usable = false;
    Atomics.store(this.control, STOP, 1);
    Atomics.store(this.control, POSTED, this.posted + 1);
    Atomics.notify(this.control, POSTED);
  }
}

/** How long one job may take before the caller gives up on the thread. */
const JOB_MS = 60_000;
