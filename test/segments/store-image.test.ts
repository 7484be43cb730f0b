// Warm restart images (segments/persist/): a saved store restores with every
// live item's value, flags and CAS token, expired items gone, the pending
// flush_all and the generation counter kept; a damaged, truncated, foreign
// or mismatched image is refused with a reason and leaves the store empty.

import t from 'tap';
import type { Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentStore } from '../../segments/segment-store.js';
import type { StoreOptions } from '../../segments/types.js';
import * as fs from 'node:fs';
import { INDEX_BYTES_PER_ITEM, INDEX_OMIT_ABOVE, restoreImage, saveImage } from '../../segments/persist/store-image.js';
import type * as StoreImage from '../../segments/persist/store-image.js';
import type * as ImageWriter from '../../segments/persist/image-writer.js';
import { crc32, crc32Js } from '../../segments/persist/checksum.js';
import { HEADER_BYTES } from '../../segments/persist/image-format.js';
import { ManualClock, audit, b, prng } from './helpers.js';

const MIB = 1024 * 1024;
const BASE: StoreOptions = { memoryLimitBytes: 8 * MIB, itemSizeMax: 256 * 1024, segmentSize: 256 * 1024 };

interface Expect {
  value: Buffer;
  flags: number;
  cas: number;
  /** Unix second it expires at, 0 = never. */
  deadline: number;
}

function newStore(clock: ManualClock, options: Partial<StoreOptions> = {}, seed = 1): SegmentStore {
  return new SegmentStore({ ...BASE, clock, hashSeed: seed, ...options });
}

/** Fill a store with mixed sizes, flags, TTLs, overwrites, deletes, appends, touches and incrs; return what must read back. */
function fill(store: SegmentStore, clock: ManualClock, n: number, seed: number): Map<string, Expect> {
  const rand = prng(seed);
  const model = new Map<string, Expect>();
  const ttls = [0, 0, 5, 30, 100, 5000];
  for (let i = 0; i < n; i++) {
    const key = `key:${i % Math.floor(n * 0.8)}`;
    const op = rand();
    if (op < 0.05 && model.has(key)) {
      store.delete(b(key), 0);
      model.delete(key);
      continue;
    }
    if (op < 0.08 && model.has(key)) {
      store.store('append', b(key), b('+tail'), 0, 0, 0);
    } else if (op < 0.1 && model.has(key)) {
      store.touch(b(key), 2000);
    } else {
      const size = rand() < 0.1 ? Math.floor(rand() * 60_000) : Math.floor(rand() * 400);
      const value = Buffer.alloc(size);
      for (let j = 0; j < size; j++) value[j] = Math.floor(rand() * 256);
      const flags = rand() < 0.5 ? 0 : Math.floor(rand() * 0xffffffff);
      const ttl = ttls[Math.floor(rand() * ttls.length)]!;
      store.store('set', b(key), value, flags, ttl, 0);
    }
    if (i % 97 === 0) clock.advance(1);
    const ref = store.peek(b(key));
    if (ref < 0) continue;
    const ttlLeft = store.itemTtlRemaining(ref);
    model.set(key, {
      value: Buffer.from(store.itemValue(ref)),
      flags: store.itemFlags(ref),
      cas: store.itemCas(ref),
      deadline: ttlLeft < 0 ? 0 : clock.seconds + ttlLeft,
    });
  }
  store.store('set', b('counter'), b('41'), 7, 0, 0);
  store.arith(b('counter'), true, 1n, undefined, 0, 0);
  const ref = store.peek(b('counter'));
  model.set('counter', { value: b('42'), flags: 7, cas: store.itemCas(ref), deadline: 0 });
  // Items an earlier model entry saw may have been evicted: keep only what the store holds.
  for (const [key, e] of model) {
    const r = store.peek(b(key));
    if (r < 0 || store.itemCas(r) !== e.cas) model.delete(key);
  }
  return model;
}

/** Every model item live at the clock reads back exactly; returns [live, expired]. */
function check(t: Test, store: SegmentStore, clock: ManualClock, model: Map<string, Expect>): [number, number] {
  let live = 0;
  let expired = 0;
  let bad = 0;
  for (const [key, e] of model) {
    const ref = store.get(b(key));
    if (e.deadline !== 0 && clock.seconds >= e.deadline) {
      expired++;
      if (ref >= 0) bad++;
      continue;
    }
    live++;
    if (ref < 0 || !store.itemValue(ref).equals(e.value) || store.itemFlags(ref) !== e.flags || store.itemCas(ref) !== e.cas) bad++;
  }
  t.equal(bad, 0, `every live item reads back byte for byte with its flags and CAS, every expired one misses (${live} live, ${expired} expired)`);
  return [live, expired];
}

/** [start, end) of an image's index section. */
function indexSection(image: Buffer): [number, number] {
  const at = HEADER_BYTES + image.readUInt32LE(80) * 56 + 8 + image.readDoubleLE(88);
  return [at, at + image.readDoubleLE(120)];
}

/** Where `bytes` differs from `good` (same length): nowhere, only inside [from, to), or elsewhere too. */
function damagedRegion(good: Buffer, bytes: Buffer, from: number, to: number): 'none' | 'index' | 'outside' {
  let inside = false;
  for (let i = 0; i < good.length; i++) {
    if (good[i] === bytes[i]) continue;
    if (i < from || i >= to) return 'outside';
    inside = true;
  }
  return inside ? 'index' : 'none';
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'gac-image-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('the JS CRC-32 fallback gives zlib.crc32 values', async (t) => {
  const rand = prng(7);
  for (const n of [0, 1, 7, 8, 9, 63, 1000, 4097]) {
    const data = Buffer.alloc(n);
    for (let i = 0; i < n; i++) data[i] = Math.floor(rand() * 256);
    t.equal(crc32Js(data), crc32(data), `${n} bytes`);
  }
  t.equal(crc32Js(Buffer.from('123456789')), 0xcbf43926, 'the standard check value');
});

t.test('round trip: same values, flags, CAS; counts and bytes match; store consistent', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  const model = fill(store, clock, 4000, 1);
  t.ok(model.size > 1000, `${model.size} items to check`);
  const saved = saveImage(store.imagePort(), file);
  t.ok(saved.ok, saved.reason);
  t.equal(saved.items, store.counters.items);
  t.notOk(existsSync(`${file}.tmp`), 'no temp file left');

  const again = newStore(clock, {}, 999);
  const restored = restoreImage(again.imagePort(), file);
  t.ok(restored.warm, restored.reason);
  t.equal(restored.items, store.counters.items, 'restored as many items as were live');
  t.equal(again.counters.items, store.counters.items, 'curr_items matches');
  t.equal(again.counters.bytes, store.counters.bytes, 'bytes matches');
  t.equal(again.counters.totalItems, 0, 'total_items starts fresh');
  t.same(audit(again), [], 'restored store is internally consistent');
  check(t, again, clock, model);
  t.same(again.shape().ttlBucketSegments, store.shape().ttlBucketSegments, 'same segments in the same TTL buckets');

  // Tokens never repeat: a new write gets a token no restored item has.
  const tokens = new Set([...model.values()].map((e) => e.cas));
  t.equal(again.store('set', b('fresh'), b('v'), 0, 0, 0), 'stored');
  t.notOk(tokens.has(again.lastCas), 'a new write gets a fresh token');
  const counter = model.get('counter')!;
  t.equal(again.store('cas', b('counter'), b('43'), 0, 0, counter.cas), 'stored', 'cas with the pre-restart token succeeds');
  t.equal(again.store('cas', b('counter'), b('44'), 0, 0, counter.cas), 'exists', 'and the old token is then stale');
});

/** Everything a client can see of `keys` in a store, plus the counters: two stores restored from one image must agree on it. */
function visible(store: SegmentStore, keys: Iterable<string>): string[] {
  const out = [`items ${store.counters.items} bytes ${store.counters.bytes} index ${store.itemSpace.index.count}`];
  for (const key of keys) {
    const ref = store.peek(b(key));
    out.push(ref < 0 ? `${key} -` : `${key} ${store.itemFlags(ref)} ${store.itemCas(ref)} ${store.itemValue(ref).toString('base64')}`);
  }
  return out;
}

t.test('the saved hash index is restored as it was and answers as a rebuilt one does', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  const model = fill(store, clock, 4000, 11);
  const saved = saveImage(store.imagePort(), file);
  t.ok(saved.ok, saved.reason);
  t.ok(saved.indexBytes > 0, `index section of ${saved.indexBytes} bytes`);
  clock.advance(40);
  const keys = [...model.keys()];

  const restored = newStore(clock);
  const r1 = restoreImage(restored.imagePort(), file);
  t.ok(r1.warm && r1.indexRestored, `same seed: index restored (${r1.indexNote})`);
  t.ok(r1.expired > 0, `${r1.expired} expired while down, taken out of the restored index`);
  const rebuilt = newStore(clock, {}, 77);
  const r2 = restoreImage(rebuilt.imagePort(), file);
  t.ok(r2.warm, r2.reason);
  t.notOk(r2.indexRestored, 'another seed: index rebuilt');
  t.match(r2.indexNote, /another hash seed/);
  t.equal(r1.items, r2.items, 'same items either way');
  t.same(visible(restored, keys), visible(rebuilt, keys), 'same values, flags, CAS and counts either way');
  t.same(audit(restored), [], 'restored index consistent with the segments');
  t.same(audit(rebuilt), []);
  check(t, restored, clock, model);

  // Slot for slot: the restored tables are the saved ones minus the expired items.
  const saver = store.itemSpace.index;
  const locations = new Set(saver.locations());
  const kept = new Set(restored.itemSpace.index.locations());
  t.ok([...kept].every((loc) => locations.has(loc)), 'every restored slot was a saved slot');
  t.equal(locations.size - kept.size, r1.expired, 'the saved slots less the expired ones');

  // Both keep working: writes, overwrites, deletes, and a doubling of the table.
  for (const s of [restored, rebuilt]) {
    let failed = 0;
    for (let i = 0; i < 3000; i++) if (s.store('set', b(`more:${i}`), b(`v${i}`), 0, 0, 0) !== 'stored') failed++;
    t.equal(failed, 0, 'new writes stored');
    const victim = keys.find((k) => s.peek(b(k)) >= 0)!;
    t.equal(s.delete(b(victim), 0), 'deleted');
    t.equal(s.peek(b(victim)), -1, 'deleted key gone');
    t.same(audit(s), [], 'consistent after more writes');
  }
});

t.test('an index saved while the table was doubling restores and finishes the doubling', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock, { hashPower: 12 });
  let i = 0;
  while (!store.shape().hashIsExpanding) store.store('set', b(`k${i++}`), b(`value-${i}`), 0, 0, 0);
  for (let j = 0; j < 10; j++) store.store('set', b(`k${i++}`), b(`value-${i}`), 0, 0, 0);
  t.ok(store.shape().hashIsExpanding, `still doubling after ${i} items`);
  t.ok(saveImage(store.imagePort(), file).ok);
  const again = newStore(clock, { hashPower: 12 });
  const r = restoreImage(again.imagePort(), file);
  t.ok(r.warm && r.indexRestored, r.indexNote);
  t.ok(again.shape().hashIsExpanding, 'the doubling goes on after the restore');
  let missing = 0;
  for (let j = 0; j < i; j++) if (again.peek(b(`k${j}`)) < 0) missing++;
  t.equal(missing, 0, 'every key found, in the old or the new table');
  for (let j = 0; j < 5000 && again.shape().hashIsExpanding; j++) again.store('set', b(`n${j}`), b('x'), 0, 0, 0);
  t.notOk(again.shape().hashIsExpanding, 'doubling finished');
  for (let j = 0; j < i; j++) if (again.peek(b(`k${j}`)) < 0) missing++;
  t.equal(missing, 0, 'every key still found');
  t.same(audit(again), []);
});

t.test("'auto' leaves a large, nearly empty index out (the restore rebuilds it) and keeps a well-filled one", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'image');
  const clock = new ManualClock();
  // 64 MiB: an index section of about 9 MiB, over INDEX_OMIT_ABOVE.
  const big = { memoryLimitBytes: 64 * MIB };
  const sparse = newStore(clock, big);
  const few = fill(sparse, clock, 300, 21);
  const left = saveImage(sparse.imagePort(), file);
  t.ok(left.ok, left.reason);
  t.equal(left.indexBytes, 0, `index left out for ${left.items} items`);
  let again = newStore(clock, big);
  let r = restoreImage(again.imagePort(), file);
  t.ok(r.warm, r.reason);
  t.notOk(r.indexRestored, 'index rebuilt');
  t.match(r.indexNote, /holds no index/);
  check(t, again, clock, few);
  t.same(audit(again), [], 'rebuilt store consistent');

  const forced = saveImage(sparse.imagePort(), file, { index: true });
  t.ok(forced.indexBytes > INDEX_OMIT_ABOVE && forced.indexBytes > INDEX_BYTES_PER_ITEM * forced.items, `index: true writes it anyway (${forced.indexBytes} bytes)`);
  again = newStore(clock, big);
  r = restoreImage(again.imagePort(), file);
  t.ok(r.warm && r.indexRestored, `forced index restored (${r.reason}${r.indexNote})`);
  check(t, again, clock, few);

  const dense = newStore(clock, big);
  const n = 20_000;
  for (let i = 0; i < n; i++) dense.store('set', b(`k:${i}`), b(`v:${i}`.padEnd(40, '.')), i, 0, 0);
  const kept = saveImage(dense.imagePort(), file);
  t.equal(kept.items, n);
  t.ok(kept.indexBytes > INDEX_OMIT_ABOVE && kept.indexBytes <= INDEX_BYTES_PER_ITEM * n, `well filled: index kept (${kept.indexBytes} bytes)`);
  again = newStore(clock, big);
  r = restoreImage(again.imagePort(), file);
  t.ok(r.warm && r.indexRestored && r.items === n, `dense index restored (${r.reason}${r.indexNote})`);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const ref = again.get(b(`k:${i}`));
    if (ref < 0 || !again.itemValue(ref).equals(b(`v:${i}`.padEnd(40, '.'))) || again.itemFlags(ref) !== i) bad++;
  }
  t.equal(bad, 0, 'every dense item reads back');
});

t.test('sync: true (the default) fdatasyncs the image and fsyncs its directory; sync: false does neither', async (t) => {
  const calls: string[] = [];
  const counted = {
    ...fs,
    fdatasyncSync: (fd: number): void => {
      calls.push('fdatasync');
      fs.fdatasyncSync(fd);
    },
    fsyncSync: (fd: number): void => {
      calls.push('fsync');
      fs.fsyncSync(fd);
    },
  };
  // The writer syncs the file, store-image.ts the directory: both see the counting fs.
  const writer = await t.mockImport<typeof ImageWriter>('../../segments/persist/image-writer.js', { 'node:fs': counted });
  const { saveImage: save } = await t.mockImport<typeof StoreImage>('../../segments/persist/store-image.js', {
    'node:fs': counted,
    '../../segments/persist/image-writer.js': writer,
  });
  const dir = tempDir(t);
  const clock = new ManualClock();
  const store = newStore(clock);
  const model = fill(store, clock, 400, 3);
  for (const direct of [true, false]) {
    for (const sync of [undefined, true, false]) {
      calls.length = 0;
      const file = join(dir, `image-${direct}-${sync}`);
      const r = save(store.imagePort(), file, sync === undefined ? { direct } : { direct, sync });
      t.ok(r.ok, r.reason);
      t.same(calls, sync === false ? [] : ['fdatasync', 'fsync'], `direct ${direct}, sync ${sync}: ${calls.join(', ') || 'no sync'}`);
      const again = newStore(clock);
      const back = restoreImage(again.imagePort(), file);
      t.ok(back.warm, back.reason);
      check(t, again, clock, model);
    }
  }
});

t.test('a missing, damaged or inconsistent index section costs a rebuild, never a wrong value', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  const model = fill(store, clock, 2500, 12);
  const noIndex = saveImage(store.imagePort(), file, { index: false });
  t.ok(noIndex.ok);
  t.equal(noIndex.indexBytes, 0);
  let again = newStore(clock);
  let r = restoreImage(again.imagePort(), file);
  t.ok(r.warm, r.reason);
  t.notOk(r.indexRestored);
  t.match(r.indexNote, /holds no index/);
  check(t, again, clock, model);

  t.ok(saveImage(store.imagePort(), file).ok);
  const good = readFileSync(file);
  const [at, end] = indexSection(good);
  const headAt = end - 256;
  /** The image with `edit` applied to the index section's first part (slot words), its CRCs recomputed so only the content check can catch it. */
  const recrc = (edit: (words: Uint32Array) => void): Buffer => {
    const copy = Buffer.from(good);
    const length = copy.readDoubleLE(headAt + 120);
    const part = copy.subarray(at, at + length);
    edit(new Uint32Array(part.buffer, part.byteOffset, length / 4));
    copy.writeUInt32LE(crc32(part), headAt + 120 + 8);
    copy.writeUInt32LE(crc32(copy.subarray(headAt, headAt + 252)), headAt + 252);
    return copy;
  };
  const firstUsed = (words: Uint32Array): number => {
    for (let i = 1; i < words.length; i += 2) if (words[i] !== 0) return i;
    return -1;
  };
  const secondUsed = (words: Uint32Array): number => {
    const first = firstUsed(words);
    for (let i = first + 2; i < words.length; i += 2) if (words[i] !== 0) return i;
    return -1;
  };
  const flip = (i: number): Buffer => {
    const copy = Buffer.from(good);
    copy[i]! ^= 0x04;
    return copy;
  };
  const cases: Array<[string, Buffer, RegExp]> = [
    ['flipped byte in the slot words', flip(at + 17), /index section checksum mismatch \(part 1\)/],
    ['flipped byte in the chain links', flip(at + good.readDoubleLE(headAt + 120) + 3), /index section checksum mismatch \(part 2\)/],
    ['flipped byte in the index head', flip(headAt + 30), /index section head checksum mismatch/],
    ['index head magic gone', flip(headAt + 1), /index section head missing/],
    ['a slot moved to another record (CRC recomputed)', recrc((w) => (w[firstUsed(w)] = w[firstUsed(w)]! + 1)), /disagrees with the records/],
    ['a slot duplicated (CRC recomputed)', recrc((w) => (w[secondUsed(w)] = w[firstUsed(w)]!)), /disagrees with the records/],
    ['a slot emptied (CRC recomputed)', recrc((w) => (w[firstUsed(w)] = 0)), /disagrees with the records/],
    ['a slot pointing past the heap (CRC recomputed)', recrc((w) => (w[firstUsed(w)] = 0xfffffff0)), /disagrees with the records/],
  ];
  for (const [name, bytes, note] of cases) {
    const path = join(dir, 'damaged');
    writeFileSync(path, bytes);
    again = newStore(clock);
    r = restoreImage(again.imagePort(), path);
    t.ok(r.warm, `${name}: still warm (${r.reason})`);
    t.notOk(r.indexRestored, `${name}: index rebuilt`);
    t.match(r.indexNote, note, `${name}: ${r.indexNote}`);
    check(t, again, clock, model);
    t.same(audit(again), [], `${name}: consistent`);
  }
});

t.test('image sizes: the index section is the index arrays in use, nothing per item', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  fill(store, clock, 2000, 13);
  const saved = saveImage(store.imagePort(), file);
  t.ok(saved.ok);
  t.equal(readFileSync(file).length, saved.fileBytes);
  const index = store.itemSpace.index;
  t.ok(saved.indexBytes >= index.slots * 8, 'at least the primary slots');
  t.ok(saved.indexBytes <= index.bytes + 512, `no more than the index arrays (${saved.indexBytes} of ${index.bytes} bytes)`);
});

t.test('TTLs keep running while down: items that expired meanwhile are gone', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  const model = fill(store, clock, 3000, 2);
  t.ok(saveImage(store.imagePort(), file).ok);
  clock.advance(60);
  const again = newStore(clock);
  const restored = restoreImage(again.imagePort(), file);
  t.ok(restored.warm, restored.reason);
  t.ok(restored.expired > 0, `${restored.expired} items expired while down`);
  const [live, expired] = check(t, again, clock, model);
  t.ok(expired > 0 && live > 0);
  t.equal(again.counters.items, live, 'curr_items counts only what is still live');
  t.same(audit(again), []);
});

t.test('last-access times survive a restart, in young and in widened (old) segments', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  store.store('set', b('old'), b('v'), 0, 0, 0);
  // Two days on: the segment is older than 16 bits of seconds, so its stamp unit has widened.
  clock.advance(2 * 86400);
  t.ok(store.get(b('old')) >= 0);
  store.store('set', b('young'), b('v'), 0, 0, 0);
  clock.advance(100);
  t.ok(store.get(b('young')) >= 0);
  clock.advance(50);
  const before = { old: store.itemLastAccess(store.peek(b('old'))), young: store.itemLastAccess(store.peek(b('young'))) };
  t.ok(saveImage(store.imagePort(), file).ok);
  clock.advance(10);
  const again = newStore(clock);
  t.ok(restoreImage(again.imagePort(), file).warm);
  t.equal(again.itemLastAccess(again.peek(b('young'))), before.young + 10, 'young segment: same second, 10 s later');
  const old = again.itemLastAccess(again.peek(b('old')));
  // A widened unit reports up to one unit (here 4 s) early, as before the restart.
  t.ok(old >= before.old + 10 && old <= before.old + 10 + 4, `old segment: ${old} s vs ${before.old} s + 10 before`);
});

t.test('a pending flush_all delay is kept, and applied if it came due while down', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  store.store('set', b('a'), b('1'), 0, 0, 0);
  store.flushAll(100);
  t.ok(saveImage(store.imagePort(), file).ok);

  clock.advance(10);
  const early = newStore(clock);
  t.ok(restoreImage(early.imagePort(), file).warm);
  t.ok(early.get(b('a')) >= 0, 'still there before the flush moment');
  clock.advance(100);
  t.equal(early.get(b('a')), -1, 'flushed at the moment the flush_all named');

  const late = newStore(clock);
  const r = restoreImage(late.imagePort(), file);
  t.ok(r.warm);
  t.match(r.reason, /flush_all took effect while the server was down/);
  t.equal(r.items, 0);
  t.equal(late.get(b('a')), -1);
});

t.test('-C (no CAS) and per-item CAS stores round-trip too', async (t) => {
  for (const [name, options, tuning] of [
    ['-C', { casEnabled: false }, {}],
    ['per-item CAS', {}, { perItemCas: true }],
  ] as const) {
    const file = join(tempDir(t), 'image');
    const clock = new ManualClock();
    const store = new SegmentStore({ ...BASE, clock, hashSeed: 3, ...options }, tuning);
    const model = fill(store, clock, 1500, 3);
    t.ok(saveImage(store.imagePort(), file).ok, name);
    const again = new SegmentStore({ ...BASE, clock, hashSeed: 4, ...options }, tuning);
    t.ok(restoreImage(again.imagePort(), file).warm, name);
    check(t, again, clock, model);
    again.store('set', b('new'), b('x'), 0, 0, 0);
    if (name === 'per-item CAS') t.ok(again.lastCas > Math.max(...[...model.values()].map((e) => e.cas)), 'per-item counter continues');
  }
});

t.test('restoring into a store that already holds items is refused', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  store.store('set', b('a'), b('1'), 0, 0, 0);
  t.ok(saveImage(store.imagePort(), file).ok);
  const busy = newStore(clock);
  busy.store('set', b('b'), b('2'), 0, 0, 0);
  const r = restoreImage(busy.imagePort(), file);
  t.notOk(r.warm);
  t.match(r.reason, /not empty/);
});

/** Damage cases: each one must end in a cold start with its reason and no item served. */
t.test('damaged images: cold start with the reason, nothing served', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  const model = fill(store, clock, 2000, 4);
  const marker = Buffer.from('THIS-VALUE-IS-THE-MARKER-0123456789');
  store.store('set', b('marker'), marker, 0, 0, 0);
  t.ok(saveImage(store.imagePort(), file).ok);
  const good = readFileSync(file);
  const valueAt = good.indexOf(marker);
  t.ok(valueAt > HEADER_BYTES, 'marker value found in the data section');

  const withHeader = (edit: (h: Buffer) => void): Buffer => {
    const copy = Buffer.from(good);
    edit(copy);
    copy.writeUInt32LE(crc32(copy.subarray(0, HEADER_BYTES - 4)), HEADER_BYTES - 4);
    return copy;
  };
  const flip = (at: number): Buffer => {
    const copy = Buffer.from(good);
    copy[at]! ^= 0x10;
    return copy;
  };
  const cases: Array<[string, Buffer | null, RegExp, Partial<StoreOptions>?]> = [
    ['missing file', null, /no image file/],
    ['empty file', Buffer.alloc(0), /empty/],
    ['truncated inside the header', good.subarray(0, 100), /too short|truncated/],
    ['truncated after the header', good.subarray(0, HEADER_BYTES), /truncated/],
    ['truncated inside the table', good.subarray(0, HEADER_BYTES + 30), /truncated/],
    ['truncated inside the data', good.subarray(0, valueAt + 5), /truncated/],
    ['last byte missing', good.subarray(0, good.length - 1), /truncated/],
    ['bytes appended', Buffer.concat([good, Buffer.from('xx')]), /truncated or damaged/],
    ['flipped byte in the magic', flip(2), /bad magic/],
    ['flipped byte in the header (segment count)', flip(80), /header checksum/],
    ['flipped byte in the header (generation counter)', flip(50), /header checksum/],
    ['flipped byte in the table', flip(HEADER_BYTES + 9), /table checksum/],
    ['flipped byte in the padding after the table', flip(HEADER_BYTES + good.readUInt32LE(80) * 56 + 5), /table checksum/],
    ['flipped byte in a value', flip(valueAt + 3), /segment data checksum/],
    ['flipped byte in a record header', flip(good.indexOf(marker) - 12), /segment data checksum/],
    ['flipped byte in the trailer', flip(good.length - 3), /trailer/],
    ['the previous format version (no index section)', withHeader((h) => h.writeUInt32LE(1, 8)), /format version 1, this build reads version 2/],
    ['a later format version', withHeader((h) => h.writeUInt32LE(3, 8)), /format version 3/],
    ['-m changed', good, /settings differ: -m 8 MiB \(image\) vs 16 MiB \(now\)/, { memoryLimitBytes: 16 * MIB }],
    ['-I changed', good, /settings differ: -I 262144 \(image\) vs 131072 \(now\)/, { itemSizeMax: 128 * 1024 }],
    ['segment size changed', good, /segment size 262144 \(image\) vs 524288/, { segmentSize: 512 * 1024 }],
    ['-C changed', good, /CAS on \(image\) vs off/, { casEnabled: false }],
  ];
  for (const [name, bytes, reason, options] of cases) {
    const path = join(dir, 'damaged');
    rmSync(path, { force: true });
    if (bytes !== null) writeFileSync(path, bytes);
    const again = newStore(clock, options ?? {});
    const r = restoreImage(again.imagePort(), path);
    t.notOk(r.warm, `${name}: cold start`);
    t.match(r.reason, reason, `${name}: ${r.reason}`);
    t.equal(again.counters.items, 0, `${name}: nothing restored`);
    t.equal(again.get(b('marker')), -1, `${name}: no value served from it`);
    t.equal(again.store('set', b('after'), b('ok'), 0, 0, 0), 'stored', `${name}: store usable`);
    t.same(audit(again), [], `${name}: store consistent`);
  }
  t.ok(model.size > 0);
});

t.test('fuzz: random damage never restores a wrong value and never throws', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  const model = fill(store, clock, 1500, 5);
  t.ok(saveImage(store.imagePort(), file).ok);
  const good = readFileSync(file);
  const seed = 20261201;
  const rand = prng(seed);
  const path = join(dir, 'fuzzed');
  let cold = 0;
  let rebuilt = 0;
  let wrong = 0;
  const runs = 150;
  const [indexAt, indexEnd] = indexSection(good);
  // A store with the same seed as the saved one: the index section is used when sound.
  t.ok(restoreImage(newStore(clock).imagePort(), file).indexRestored, 'the undamaged image restores its index');
  for (let run = 0; run < runs; run++) {
    let bytes = Buffer.from(good);
    const kind = Math.floor(rand() * 4);
    if (kind === 0) {
      // One to eight flipped bits anywhere.
      const flips = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)]! ^= 1 << Math.floor(rand() * 8);
    } else if (kind === 1) {
      bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
    } else if (kind === 2) {
      // A run of random bytes overwritten.
      const at = Math.floor(rand() * bytes.length);
      const n = Math.min(bytes.length - at, 1 + Math.floor(rand() * 4096));
      for (let i = 0; i < n; i++) bytes[at + i] = Math.floor(rand() * 256);
    } else {
      // A run of zeros (a lost page).
      const at = Math.floor(rand() * bytes.length);
      bytes.fill(0, at, Math.min(bytes.length, at + 4096));
    }
    writeFileSync(path, bytes);
    const again = newStore(clock);
    const r = restoreImage(again.imagePort(), path);
    if (!r.warm) {
      cold++;
      if (again.counters.items !== 0) wrong++;
      continue;
    }
    // Damage confined to the index section may restore, with the index rebuilt; any other damage must not.
    const changed = bytes.length !== good.length ? 'outside' : damagedRegion(good, bytes, indexAt, indexEnd);
    if (changed === 'outside') wrong++;
    if (changed === 'index') {
      rebuilt++;
      if (r.indexRestored) wrong++;
    }
    for (const [key, e] of model) {
      const ref = again.get(b(key));
      if (ref < 0 || !again.itemValue(ref).equals(e.value) || again.itemCas(ref) !== e.cas) wrong++;
    }
    if (audit(again).length > 0) wrong++;
  }
  t.equal(wrong, 0, `no wrong restore in ${runs} damaged images (seed ${seed})`);
  t.ok(cold + rebuilt > runs * 0.9, `${cold} of ${runs} ended cold, ${rebuilt} rebuilt the index`);
  t.ok(rebuilt > 0, 'some damage hit only the index section');
});

t.test('a store whose live counts disagree with its index is not saved', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  store.store('set', b('a'), b('1'), 0, 0, 0);
  const heap = store.itemSpace.heap;
  const seg = store.itemSpace.segmentOf(store.peek(b('a')));
  heap.liveItems[seg]!++;
  const r = saveImage(store.imagePort(), file);
  t.notOk(r.ok);
  t.match(r.reason, /store inconsistent \(2 live records, 1 indexed\)/);
  t.notOk(existsSync(file), 'no image written');
  heap.liveItems[seg]!--;
  t.ok(saveImage(store.imagePort(), file).ok, 'saved once consistent');
});

t.test('a save removes an old FILE and FILE.tmp before writing; a refused save leaves neither', async (t) => {
  const file = join(tempDir(t), 'image');
  const clock = new ManualClock();
  const store = newStore(clock);
  const model = fill(store, clock, 400, 5);
  const first = saveImage(store.imagePort(), file);
  t.ok(first.ok, first.reason);
  t.equal(first.oldImageBytes, -1, 'first save: no old image');
  t.notOk(first.oldTemp, 'first save: no stale .tmp');
  const oldSize = readFileSync(file).length;
  writeFileSync(`${file}.tmp`, 'partial image of a save that did not finish');
  const second = saveImage(store.imagePort(), file);
  t.ok(second.ok, second.reason);
  t.equal(second.oldImageBytes, oldSize, 'the old image was removed first (its size reported)');
  t.ok(second.oldTemp, 'the stale .tmp was removed first');
  t.notOk(existsSync(`${file}.tmp`), 'no temp file left');
  const again = newStore(clock);
  const back = restoreImage(again.imagePort(), file);
  t.ok(back.warm, back.reason);
  check(t, again, clock, model);

  // A save that refuses still removes the older image: it must not come back at the next start.
  const heap = store.itemSpace.heap;
  const seg = store.itemSpace.segmentOf(store.peek(b('counter')));
  heap.liveItems[seg]!++;
  writeFileSync(`${file}.tmp`, 'partial');
  const refused = saveImage(store.imagePort(), file);
  heap.liveItems[seg]!--;
  t.notOk(refused.ok, 'refused (inconsistent store)');
  t.ok(refused.oldImageBytes > 0 && refused.oldTemp, 'it removed both files first');
  t.notOk(existsSync(file), 'no image left');
  t.notOk(existsSync(`${file}.tmp`), 'no temp file left');
});

t.test('unreadable and unwritable paths are reported, never thrown', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const r = restoreImage(newStore(clock).imagePort(), dir);
  t.notOk(r.warm);
  t.match(r.reason, /cannot read|empty|too short/, `a directory: ${r.reason}`);
  const store = newStore(clock);
  store.store('set', b('a'), b('1'), 0, 0, 0);
  const s = saveImage(store.imagePort(), join(dir, 'missing', 'image'));
  t.notOk(s.ok);
  t.match(s.reason, /cannot write .*ENOENT/);
});
