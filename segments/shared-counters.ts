// The store's counters in shared memory: one row of Float64 per thread slot
// (each thread bumps only its own row, with plain writes, so the hot path
// pays no atomic) plus one global row for `items` and `bytes`, which only
// change under the store lock. stats sums the rows (`sumCounters`), so a
// total read while threads run is a moment's approximation, as memcached's.
//
// Not the counters' meaning (types.ts StoreCounters) or their reporting
// (lib/observability/).

import type { StoreCounters } from './types.js';
import { newCounters } from './store-defaults.js';

/** Counter names in row order. */
export const COUNTER_NAMES = Object.keys(newCounters()) as Array<keyof StoreCounters>;
const WIDTH = COUNTER_NAMES.length;
/** Counters of the whole store rather than of one thread's requests. */
const GLOBAL = new Set<keyof StoreCounters>(['items', 'bytes']);

/** Rows for `maxThreads` slots plus the global row. */
export function newCounterMemory(maxThreads: number): SharedArrayBuffer {
  return new SharedArrayBuffer((maxThreads + 1) * WIDTH * 8);
}

/** Slots a counter buffer has room for. */
export function counterSlots(memory: SharedArrayBuffer): number {
  return memory.byteLength / 8 / WIDTH - 1;
}

/** Accessor pairs for every counter, over `this.cells` at `this.row` (or `this.globalRow`). */
const ACCESSORS: PropertyDescriptorMap = {};
for (let i = 0; i < WIDTH; i++) {
  const name = COUNTER_NAMES[i]!;
  ACCESSORS[name] = GLOBAL.has(name)
    ? {
        get(this: SlotCounters) {
          return this.cells[this.globalRow + i];
        },
        set(this: SlotCounters, v: number) {
          this.cells[this.globalRow + i] = v;
        },
        enumerable: true,
      }
    : {
        get(this: SlotCounters) {
          return this.cells[this.row + i];
        },
        set(this: SlotCounters, v: number) {
          this.cells[this.row + i] = v;
        },
        enumerable: true,
      };
}

/**
 * StoreCounters whose fields are one slot's row (and the global row) of
 * shared memory. The accessors are own enumerable properties, so
 * `{ ...counters }` snapshots the values as with a plain object.
 */
class SlotCounters {
  declare readonly cells: Float64Array;
  declare readonly row: number;
  declare readonly globalRow: number;

  constructor(cells: Float64Array, row: number, globalRow: number) {
    // Not enumerable: a spread or JSON of the counters shows the counters only.
    Object.defineProperties(this, {
      cells: { value: cells },
      row: { value: row },
      globalRow: { value: globalRow },
      ...ACCESSORS,
    });
  }
}

/** The counters of thread slot `slot` over `memory`. */
export function slotCounters(memory: SharedArrayBuffer, slot: number): StoreCounters {
  const slots = counterSlots(memory);
  if (!(slot >= 0 && slot < slots && Number.isInteger(slot))) throw new RangeError(`thread slot ${slot} outside 0..${slots - 1}`);
  return new SlotCounters(new Float64Array(memory), slot * WIDTH, slots * WIDTH) as unknown as StoreCounters;
}

/** Every slot's counters summed (items and bytes from the global row). */
export function sumCounters(memory: SharedArrayBuffer): StoreCounters {
  const cells = new Float64Array(memory);
  const slots = counterSlots(memory);
  const out = newCounters();
  for (let i = 0; i < WIDTH; i++) {
    const name = COUNTER_NAMES[i]!;
    let total = 0;
    if (GLOBAL.has(name)) total = cells[slots * WIDTH + i]!;
    else for (let s = 0; s < slots; s++) total += cells[s * WIDTH + i]!;
    out[name] = total;
  }
  return out;
}

/** Zero every slot's counters (stats reset); items and bytes stay. */
export function resetCounterRows(memory: SharedArrayBuffer): void {
  const cells = new Float64Array(memory);
  cells.fill(0, 0, counterSlots(memory) * WIDTH);
}
