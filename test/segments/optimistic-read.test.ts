// Optimistic reads (segment-store.ts, "Optimistic reads"): a get in a read
// attempt takes no lock and is void when an exclusive hold overlapped it.
// Writers are made to overlap a read on purpose (a second store on the same
// shared memory, called from the test hook between the lookup and the copy),
// with torn headers and throws, through the store API and the text
// responder; then real worker threads read large values while others
// overwrite, delete and evict them in a tiny heap.

import t from 'tap';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import { applyingFlagIndex, type SegmentStore } from '../../segments/segment-store.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';
import { writeGetHit } from '../../lib/respond/item-output.js';
import { respondText } from '../../lib/respond/respond-text.js';
import { createServerContext } from '../../lib/server/server-context.js';
import { createCommandLog } from '../../lib/observability/logger.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT, type Settings } from '../../lib/cli/settings.js';
import type { Session } from '../../lib/server/context.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import { DEFAULT_LIMITS } from '../../protocol/request.js';
import { audit } from './helpers.js';
import { START_SECONDS, runAll } from './concurrent-run.js';
import type { WorkerTask } from './concurrent-worker.js';
import { createHarness } from '../binary/harness.js';
import { packet } from '../binary/packets.js';
import { OP_GET } from '../../protocol/binary/opcodes.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Two stores (thread slots 0 and 1) over one shared store: `reader` reads, `writer` overlaps it. */
function pair(optimisticReads = true): { reader: SegmentStore; writer: SegmentStore; control: Int32Array } {
  const handle = createSharedStore({ memoryLimitBytes: 4 << 20, itemSizeMax: 64 * 1024, segmentSize: 64 * 1024, hashSeed: 5 }, { maxThreads: 3, optimisticReads });
  return { reader: attachStore(handle, { threadSlot: 0 }), writer: attachStore(handle, { threadSlot: 1 }), control: new Int32Array(handle.control) };
}

function replyText(out: ReplyWriter): string {
  const taken = out.take();
  if (taken === null) return '';
  return (Array.isArray(taken) ? Buffer.concat(taken) : taken).toString('latin1');
}

t.test('a read attempt a writer overlapped is void and counts nothing; the retry reads the new value', async (t) => {
  const { reader, writer } = pair();
  writer.store('set', b('k'), b('old-value'), 0, 0, 0);
  reader.beginReadAttempt(0);
  const ref = reader.get(b('k'));
  t.ok(ref >= 0, 'the lookup found the item');
  t.equal(writer.store('set', b('k'), b('the-new-value'), 0, 0, 0), 'stored', 'a writer gets in while the reader reads (it waits for no reader)');
  t.equal(reader.endReadAttempt(), false, 'the attempt is void');
  t.equal(reader.counters.getHits + reader.counters.getMisses, 0, 'a void attempt counts no hit or miss');
  reader.beginReadAttempt(1);
  const again = reader.get(b('k'));
  const value = reader.itemValue(again).toString('latin1');
  t.equal(reader.endReadAttempt(), true, 'the retry stands');
  t.equal(value, 'the-new-value');
  t.equal(reader.counters.getHits, 1, 'one hit counted');
  t.equal(reader.readVoid, 1);
});

t.test('an attempt no writer overlapped stands, and marks the item fetched', async (t) => {
  const { reader, writer } = pair();
  writer.store('set', b('k'), b('v'), 0, 0, 0);
  reader.beginReadAttempt(0);
  const ref = reader.get(b('k'));
  t.equal(reader.endReadAttempt(), true);
  writer.beginWrite();
  try {
    const r = writer.peek(b('k'));
    t.equal(r, ref);
    t.ok((writer.itemBits(r) & 1) !== 0, 'the fetched bit was set after validation');
  } finally {
    writer.endWrite();
  }
  t.equal(reader.readVoid, 0);
});

t.test('after failed attempts a read takes the shared lock and stands', async (t) => {
  const { reader, writer } = pair();
  writer.store('set', b('k'), b('v'), 0, 0, 0);
  for (const attempt of [3, 10]) {
    reader.beginReadAttempt(attempt);
    const ref = reader.get(b('k'));
    // Under the lock a writer cannot get in; the attempt always stands.
    t.equal(reader.endReadAttempt(), true, `attempt ${attempt} (locked) stands`);
    t.ok(ref >= 0);
  }
  t.equal(reader.readAttempts, 0, 'no optimistic attempt from the third on');
});

t.test('the text responder retries a get whose value was torn mid-copy and sends only the value that stands', async (t) => {
  const { reader, writer } = pair();
  const settings: Settings = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, maxBytes: 4 << 20 };
  const ctx = createServerContext({ settings, store: reader, log: createCommandLog(0), sasl: undefined, connections: () => [], onShutdown: () => {} });
  const session: Session = { id: 1, authenticated: true, closeAfterWrite: () => {}, replyRoom: Infinity, makeRoom: () => true, resumeAfterDrain: () => {} };
  const big = b('A'.repeat(20_000));
  writer.store('set', b('k'), big, 0, 0, 0);
  writer.store('set', b('other'), b('x'), 0, 0, 0);
  let calls = 0;
  let torn = false;
  reader.onOptimisticRead = (addr) => {
    calls++;
    if (torn || addr < 0 || reader.itemKey(addr).toString('latin1') !== 'k') return;
    torn = true;
    // The writer replaces the value, then tears the old record's header
    // (its length word says 4 GiB) and overwrites its bytes, as a merge or a
    // reused segment would: the reader's copy reads garbage.
    writer.store('set', b('k'), b('fresh'), 0, 0, 0);
    const heap = writer.itemSpace.heap;
    const seg = Math.floor(addr / heap.segmentSize);
    const w = (addr - seg * heap.segmentSize) >>> 2;
    heap.words[seg]![w + 1] = 0xfffffff0;
    heap.bytes[seg]!.fill(0x5a, w * 4 + 8, w * 4 + 20_000);
  };
  const out = new ReplyWriter(4096);
  const parsed = parseTextRequest(b('get other k other\r\n'), 0, DEFAULT_LIMITS);
  if (parsed.kind !== 'ok') throw new Error('parse');
  respondText(parsed.request, ctx, session, out);
  t.equal(replyText(out), 'VALUE other 0 1\r\nx\r\nVALUE k 0 5\r\nfresh\r\nVALUE other 0 1\r\nx\r\nEND\r\n', 'only whole values that stand, in order');
  t.equal(calls, 4, 'three lookups and one retry');
  t.equal(reader.readVoid, 1, 'one void attempt');
  t.equal(reader.counters.getHits, 3, 'hits counted once per key');
  t.equal(ctx.counters.cmdGet, 3, 'cmd_get counted once per key');
  t.ok(out.heldBytes < 256 * 1024, `the torn 4 GiB length reserved at most a segment (${out.heldBytes} bytes held)`);
});

t.test('a throw inside an attempt is a retry when a writer overlapped it, and a real error when none did', async (t) => {
  const { reader, writer } = pair();
  writer.store('set', b('k'), b('v1'), 0, 0, 0);
  let calls = 0;
  reader.onOptimisticRead = () => {
    if (calls++ > 0) return;
    writer.store('set', b('k'), b('v2'), 0, 0, 0);
    throw new RangeError('torn offset');
  };
  const out = new ReplyWriter(4096);
  t.equal(writeGetHit(out, reader, b('k'), false), 2);
  t.equal(replyText(out), 'VALUE k 0 2\r\nv2\r\n');
  reader.onOptimisticRead = () => {
    throw new Error('a real bug');
  };
  t.throws(() => writeGetHit(out, reader, b('k'), false), /a real bug/, 'no writer moved the sequence: the error is not swallowed');
  // The bracket was closed: a writer on this thread can still lock.
  reader.onOptimisticRead = null;
  t.equal(reader.store('set', b('k'), b('v3'), 0, 0, 0), 'stored');
});

t.test('with optimisticReads off, attempts take the shared lock (the measured alternative)', async (t) => {
  const { reader, writer } = pair(false);
  writer.store('set', b('k'), b('v'), 0, 0, 0);
  const out = new ReplyWriter(4096);
  t.equal(writeGetHit(out, reader, b('k'), false), 1);
  t.equal(reader.readAttempts, 0);
});

t.test('workers read large values while others overwrite, delete and evict them: every value whole and written by someone', async (t) => {
  const workers = 3;
  const handle = createSharedStore(
    { memoryLimitBytes: 1 << 20, itemSizeMax: 64 * 1024, segmentSize: 64 * 1024, hashSeed: 11, hashPower: 4 },
    { maxThreads: workers + 1, reserveSegments: 2 },
  );
  const shared = new SharedArrayBuffer(4 * (2 + workers));
  new Int32Array(shared)[0] = START_SECONDS;
  const clock = { nowMs: (): number => Atomics.load(new Int32Array(shared), 0) * 1000 };
  const main = attachStore(handle, { threadSlot: 0, clock });
  const tasks: WorkerTask[] = [];
  for (let w = 0; w < workers; w++) tasks.push({ handle, slot: w + 1, writer: w, mode: 'large', ops: 6_000, keys: 200, shared, workers });
  const { reports, heapProblems } = await runAll(main, tasks);
  t.same(
    reports.flatMap((r) => r.problems),
    [],
    'every reply was one whole VALUE item, checksummed, for its key, by a writer that wrote it',
  );
  t.same(heapProblems.slice(0, 5), []);
  t.same(audit(main), [], 'store consistent afterwards');
  const hits = reports.reduce((n, r) => n + (r.stats.hit ?? 0), 0);
  const attempts = reports.reduce((n, r) => n + (r.stats.readAttempts ?? 0), 0);
  const voids = reports.reduce((n, r) => n + (r.stats.readVoid ?? 0), 0);
  t.ok(hits > 0, `${hits} hits validated`);
  t.ok(attempts > 0, `${attempts} optimistic attempts, ${voids} void`);
  const totals = main.totals();
  t.ok(totals.evictions > 0, `the tiny heap evicted (${totals.evictions})`);
});

t.test('a binary get whose read a writer overlapped is retried and answers the value that stands', async (t) => {
  const h = createHarness();
  const reader = h.ctx.store as SegmentStore;
  const writer = attachStore(reader.handle, { threadSlot: 1 });
  writer.store('set', b('k'), b('old-old-old'), 0, 0, 0);
  let calls = 0;
  reader.onOptimisticRead = () => {
    if (calls++ === 0) writer.store('set', b('k'), b('new'), 0, 0, 0);
  };
  const replies = h.send(packet({ opcode: OP_GET, key: 'k', opaque: 9 }));
  t.equal(replies.length, 1, 'one reply packet: the void attempt left nothing behind');
  t.equal(replies[0]!.value, 'new');
  t.equal(replies[0]!.opaque, 9);
  t.equal(calls, 2, 'the lookup ran twice');
  t.equal(reader.readVoid, 1);
  t.equal(reader.counters.getHits, 1, 'one hit counted');
});

t.test('a segment is renewed only when no other thread is applying marks; a flag left up by a thread that is gone is cleared', async (t) => {
  const { writer, control } = pair();
  // Slot 2 raised its APPLYING flag and never lowered it: a worker
  // terminated between a validated read and its compareExchange marks.
  const flag = applyingFlagIndex(2);
  Atomics.store(control, flag, 1);
  const value = Buffer.alloc(200, 7);
  let stored = 0;
  // Past one 64 KiB segment: the writer opens (renews) a fresh one.
  for (let i = 0; i < 600; i++) if (writer.store('set', b(`r${i}`), value, 0, 0, 0) === 'stored') stored++;
  t.equal(stored, 600, 'every set landed: the renew waited for the flag, then went on');
  t.equal(Atomics.load(control, flag), 0, 'the stale flag was cleared, so later renews do not wait on it again');
  t.equal(writer.itemValue(writer.get(b('r599'))).toString('latin1'), value.toString('latin1'));
});
