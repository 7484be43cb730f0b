// Two builds of the store, side by side in one process: the same stream of
// sets (16-byte keys drawn at random from a key space larger than -m 64
// holds, so every round evicts) goes into a store of each build in turn,
// round A, round B, round A..., and each round's thread CPU time is split
// into the request path (store.store) and the housekeeping between
// batches (what the background thread would spend). Interleaving and
// pairing by round cancel most of a shared machine's drift, which swamps
// a 10% change between two separate runs of set-cpu.js.
//
//   npm run build   # in both trees
//   taskset -c 1 node dist/benchmarks/store-ab.js --a /path/to/tree-A --b /path/to/tree-B [--value 100] [--keys 1500000] [--rounds 21] [--sets 200000]
//
// A tree is a checkout with dist/ built. Prints, for the request path and
// for housekeeping, each build's median ns per set and the paired ratio
// B/A (median, least, greatest over the rounds). Not a server benchmark.

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    value: { type: 'string', default: '100' },
    keys: { type: 'string', default: '1500000' },
    rounds: { type: 'string', default: '21' },
    sets: { type: 'string', default: '200000' },
  },
});
if (values.a === undefined || values.b === undefined) throw new Error('--a and --b name the two trees');
const VALUE = Number(values.value);
const KEYS = Number(values.keys);
const ROUNDS = Number(values.rounds);
const SETS = Number(values.sets);
/** Sets between housekeeping turns (timed apart). */
const BATCH = 512;

/** The parts of a tree's store this needs (stable across builds). */
interface StoreApi {
  store(op: 'set', key: Uint8Array, value: Uint8Array, flags: number, exptime: number, cas: number): string;
  housekeep(): boolean;
}
interface Side {
  writer: StoreApi;
  keeper: StoreApi;
  clock: { hold(): void; release(): void };
  x: number;
  key: Buffer;
}

async function load(tree: string): Promise<Side> {
  const at = (file: string): string => pathToFileURL(resolve(tree, 'dist', file)).href;
  const shared = (await import(at('segments/shared-store.js'))) as {
    createSharedStore(o: object, t: object): unknown;
    attachStore(h: unknown, o: object): StoreApi;
  };
  const clock = (await import(at('segments/batch-clock.js'))) as { batchClock: Side['clock'] };
  const handle = shared.createSharedStore({ memoryLimitBytes: 64 << 20, itemSizeMax: 1 << 20, hashSeed: 7 }, { maxThreads: 3 });
  return {
    writer: shared.attachStore(handle, { threadSlot: 0 }),
    keeper: shared.attachStore(handle, { threadSlot: 1 }),
    clock: clock.batchClock,
    x: 12345,
    key: Buffer.alloc(16, 0x30),
  };
}

const value = Buffer.alloc(VALUE, 0x61);

/** `count` sets into `side`; returns [request-path ns per set, housekeeping ns per set]. */
function run(side: Side, count: number): [number, number] {
  let setUs = 0;
  let keepUs = 0;
  for (let done = 0; done < count; done += BATCH) {
    let before = process.threadCpuUsage();
    for (let i = 0; i < BATCH; i++) {
      side.x = (Math.imul(side.x, 1103515245) + 12345) >>> 0;
      let n = (side.x >>> 3) % KEYS;
      for (let j = 15; j >= 1 && n > 0; j--) {
        side.key[j] = 0x30 + (n % 10);
        n = Math.floor(n / 10);
      }
      side.clock.hold();
      side.writer.store('set', side.key, value, 0, 0, 0);
      side.clock.release();
    }
    let used = process.threadCpuUsage(before);
    setUs += used.user + used.system;
    before = process.threadCpuUsage();
    for (let i = 0; i < 10_000 && side.keeper.housekeep(); i++);
    used = process.threadCpuUsage(before);
    keepUs += used.user + used.system;
  }
  const sets = Math.ceil(count / BATCH) * BATCH;
  return [(setUs * 1000) / sets, (keepUs * 1000) / sets];
}

const median = (v: number[]): number => [...v].sort((x, y) => x - y)[v.length >> 1]!;

const sideA = await load(values.a);
const sideB = await load(values.b);
// Fill both to three times what -m holds first: every timed round runs under steady eviction.
const fill = Math.ceil((3 * (64 << 20)) / (VALUE + 40));
run(sideA, fill);
run(sideB, fill);
const rows: Array<{ a: [number, number]; b: [number, number] }> = [];
for (let r = 0; r < ROUNDS; r++) rows.push({ a: run(sideA, SETS), b: run(sideB, SETS) });
for (const [part, i] of [
  ['request path', 0],
  ['housekeeping', 1],
] as const) {
  const ratios = rows.filter((row) => row.a[i] > 0).map((row) => row.b[i] / row.a[i]);
  console.log(
    `${VALUE} B, ${KEYS} keys, ${part}: A ${median(rows.map((row) => row.a[i])).toFixed(0)} ns/set, B ${median(rows.map((row) => row.b[i])).toFixed(0)} ns/set; ` +
      `B/A paired median ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}, ${ratios.length} rounds)`,
  );
}
