// The open connections of every worker thread, in one SharedArrayBuffer, so
// `stats conns` on any thread lists them all without asking the others (the
// responders are synchronous: they cannot wait for another thread's answer).
//
// One fixed slot per connection, -c slots in all (a worker adopts a socket
// only while fewer than -c are open in all workers). The adopting worker
// reserves a free slot with compareExchange(id, 0, -1), writes the address,
// listener and worker, and publishes the id last (Atomics.store), so a
// reader that sees an id sees the rest. The owning worker updates the state
// and the time of the last command (about once a second, and for its own
// connections whenever it answers `stats conns`), and frees the slot at close
// by storing id 0 (the main thread does it for a worker that died). A slot read while it is being reused may show the old or
// the new connection; `stats conns` is a snapshot either way, as memcached's.
// Pages of slots never used are never touched, so a large -c costs address
// space, not memory.

import type { ConnectionInfo } from './context.js';

const INTS = 5; // id, worker, state code, last command (unix seconds), listener
const ADDR_BYTES = 108; // length byte + text; longer unix paths are cut
const SLOT_BYTES = INTS * 4 + ADDR_BYTES;

const ID = 0;
const WORKER = 1;
const STATE = 2;
const LAST_CMD = 3;
const LISTENER = 4;
/** A slot being filled: not listed, not claimable. */
const RESERVED = -1;

/** memcached's state names, by code. */
const STATES = ['conn_new_cmd', 'conn_nread', 'conn_parse_cmd', 'conn_swallow', 'conn_mwrite', 'conn_closing'] as const;
const STATE_CODE = new Map<string, number>(STATES.map((s, i) => [s, i]));

export class ConnTable {
  readonly buffer: SharedArrayBuffer;
  readonly slots: number;
  private readonly ints: Int32Array;
  private readonly bytes: Uint8Array;
  /** This thread's: where the search for a free slot starts. */
  private cursor = 0;

  constructor(slots: number, buffer?: SharedArrayBuffer) {
    this.slots = slots;
    this.buffer = buffer ?? new SharedArrayBuffer(slots * SLOT_BYTES);
    this.ints = new Int32Array(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
  }

  /** Claim a free slot for connection `id` (> 0) on `worker`; -1 when all are taken. */
  claim(id: number, worker: number, addr: string, listener: number, nowSecs: number): number {
    for (let n = 0; n < this.slots; n++) {
      const slot = (this.cursor + n) % this.slots;
      const base = (slot * SLOT_BYTES) / 4;
      if (Atomics.compareExchange(this.ints, base + ID, 0, RESERVED) !== 0) continue;
      this.cursor = slot + 1;
      this.ints[base + WORKER] = worker;
      this.ints[base + STATE] = 0;
      this.ints[base + LAST_CMD] = nowSecs;
      this.ints[base + LISTENER] = listener;
      const text = Buffer.from(addr, 'latin1').subarray(0, ADDR_BYTES - 1);
      const at = slot * SLOT_BYTES + INTS * 4;
      this.bytes[at] = text.length;
      this.bytes.set(text, at + 1);
      Atomics.store(this.ints, base + ID, id);
      return slot;
    }
    return -1;
  }

  /** The owning worker: what the connection is doing now. */
  update(slot: number, state: string, lastCmdSecs: number): void {
    const base = (slot * SLOT_BYTES) / 4;
    this.ints[base + STATE] = STATE_CODE.get(state) ?? 0;
    this.ints[base + LAST_CMD] = lastCmdSecs;
  }

  /** The owning worker (or the main thread for a dead worker): the slot is free again. */
  release(slot: number): void {
    Atomics.store(this.ints, (slot * SLOT_BYTES) / 4 + ID, 0);
  }

  /** Main thread: free every slot of a worker that died; returns how many. */
  releaseWorker(worker: number): number {
    let freed = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const base = (slot * SLOT_BYTES) / 4;
      if (Atomics.load(this.ints, base + ID) > 0 && this.ints[base + WORKER] === worker) {
        this.release(slot);
        freed++;
      }
    }
    return freed;
  }

  /** Every open connection, by slot; `listenAddrs` maps the listener index to its address. */
  *list(nowSecs: number, listenAddrs: readonly string[]): Generator<ConnectionInfo & { worker: number; slot: number }> {
    for (let slot = 0; slot < this.slots; slot++) {
      const base = (slot * SLOT_BYTES) / 4;
      const id = Atomics.load(this.ints, base + ID);
      if (id <= 0) continue;
      const at = slot * SLOT_BYTES + INTS * 4;
      const len = this.bytes[at] as number;
      yield {
        id,
        slot,
        worker: this.ints[base + WORKER] as number,
        addr: Buffer.from(this.bytes.subarray(at + 1, at + 1 + len)).toString('latin1'),
        listenAddr: listenAddrs[this.ints[base + LISTENER] as number] ?? '',
        state: STATES[this.ints[base + STATE] as number] ?? 'conn_new_cmd',
        secsSinceLastCmd: nowSecs - (this.ints[base + LAST_CMD] as number),
      };
    }
  }
}
