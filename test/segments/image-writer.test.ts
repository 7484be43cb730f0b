// How a warm-restart image reaches the disk (segments/persist/image-writer.ts):
// with O_DIRECT through an aligned staging buffer where the filesystem takes
// it, else through the page cache. Either way the file is byte for byte the
// same image and restores every item; a refused O_DIRECT falls back and says
// why; a save cut short at any write leaves nothing that restores warm.

import t from 'tap';
import type { Test } from 'tap';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentStore } from '../../segments/segment-store.js';
import type { StoreOptions } from '../../segments/types.js';
import { restoreImage, saveImage, type SaveOptions } from '../../segments/persist/store-image.js';
import { HEADER_BYTES, TRAILER_BYTES } from '../../segments/persist/image-format.js';
import { DIRECT_BLOCK, SYSTEM_IO, type WriterIo } from '../../segments/persist/image-writer.js';
import { ManualClock, audit, b, prng } from './helpers.js';

const MIB = 1024 * 1024;
/** Small segments, so the table (56 bytes a segment) outgrows a one-block staging buffer. */
const OPTIONS: StoreOptions = { memoryLimitBytes: 8 * MIB, itemSizeMax: 16 * 1024, segmentSize: 32 * 1024 };
const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT ?? 0;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'gac-writer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store holding mixed sizes and flags; returns key -> [value, flags, cas]. */
function filled(clock: ManualClock, n = 3000): { store: SegmentStore; model: Map<string, [Buffer, number, number]> } {
  const store = new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 });
  const rand = prng(42);
  for (let i = 0; i < n; i++) {
    const size = rand() < 0.1 ? Math.floor(rand() * 12_000) : Math.floor(rand() * 300);
    const value = Buffer.alloc(size);
    for (let j = 0; j < size; j++) value[j] = Math.floor(rand() * 256);
    store.store('set', b(`k${i}`), value, Math.floor(rand() * 0xffffffff), 0, 0);
  }
  const model = new Map<string, [Buffer, number, number]>();
  for (let i = 0; i < n; i++) {
    const ref = store.peek(b(`k${i}`));
    if (ref >= 0) model.set(`k${i}`, [Buffer.from(store.itemValue(ref)), store.itemFlags(ref), store.itemCas(ref)]);
  }
  return { store, model };
}

/** Restore `file` into a fresh store and count items that do not read back exactly. */
function restoredWrong(t: Test, clock: ManualClock, file: string, model: Map<string, [Buffer, number, number]>): number {
  const again = new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 });
  const r = restoreImage(again.imagePort(), file);
  t.ok(r.warm && r.indexRestored, `restored warm with its index (${r.reason}${r.indexNote})`);
  t.equal(r.items, model.size, 'every item restored');
  t.same(audit(again), [], 'restored store consistent');
  let wrong = 0;
  for (const [key, [value, flags, cas]] of model) {
    const ref = again.get(b(key));
    if (ref < 0 || !again.itemValue(ref).equals(value) || again.itemFlags(ref) !== flags || again.itemCas(ref) !== cas) wrong++;
  }
  return wrong;
}

/** The image minus header and trailer (which hold the save time): two saves of one store must agree on it. */
function body(file: string): Buffer {
  const bytes = readFileSync(file);
  return bytes.subarray(HEADER_BYTES, bytes.length - TRAILER_BYTES);
}

/** The filesystem under `dir` accepts an O_DIRECT open (checked apart from the code under test). */
function directOpens(dir: string): boolean {
  if (O_DIRECT === 0) return false;
  try {
    closeSync(openSync(join(dir, 'probe'), constants.O_WRONLY | constants.O_CREAT | O_DIRECT, 0o600));
    return true;
  } catch {
    return false;
  }
}

/** SYSTEM_IO with every call recorded. */
function recording(): { io: WriterIo; opens: number[]; writes: Array<[number, number]> } {
  const opens: number[] = [];
  const writes: Array<[number, number]> = [];
  return {
    opens,
    writes,
    io: {
      open: (path, flags, mode) => {
        opens.push(flags);
        return SYSTEM_IO.open(path, flags, mode);
      },
      write: (fd, buffer, offset, length, position) => {
        // Only writes the kernel took (probes at a refused alignment throw EINVAL).
        const n = SYSTEM_IO.write(fd, buffer, offset, length, position);
        writes.push([length, position]);
        return n;
      },
    },
  };
}

const probeDir = mkdtempSync(join(tmpdir(), 'gac-writer-probe-'));
const canDirect = directOpens(probeDir);
rmSync(probeDir, { recursive: true, force: true });

t.test('where the filesystem takes O_DIRECT the save uses it, and the image is the page-cache one byte for byte', { skip: canDirect ? false : `${tmpdir()} refuses O_DIRECT (the fallback tests cover this machine)` }, async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { store, model } = filled(clock);
  for (const stagingBytes of [undefined, DIRECT_BLOCK, 3 * DIRECT_BLOCK]) {
    const label = `staging ${stagingBytes ?? 'default'}`;
    const rec = recording();
    const direct = saveImage(store.imagePort(), join(dir, 'direct'), { stagingBytes, io: rec.io });
    t.ok(direct.ok, direct.reason);
    t.ok(direct.direct, `${label}: written with O_DIRECT`);
    t.equal(direct.directNote, '');
    t.ok(rec.opens.length === 1 && (rec.opens[0]! & O_DIRECT) !== 0, `${label}: opened once, with O_DIRECT`);
    t.ok(
      rec.writes.every(([length, position]) => length % DIRECT_BLOCK === 0 && position % DIRECT_BLOCK === 0),
      `${label}: ${rec.writes.length} writes, all whole blocks at block offsets`,
    );
    const buffered = saveImage(store.imagePort(), join(dir, 'buffered'), { direct: false });
    t.ok(buffered.ok && !buffered.direct, 'direct: false goes through the page cache');
    t.equal(direct.fileBytes, buffered.fileBytes);
    t.equal(readFileSync(join(dir, 'direct')).length, direct.fileBytes, `${label}: exact length (${direct.fileBytes}), not padded to a block`);
    t.ok(body(join(dir, 'direct')).equals(body(join(dir, 'buffered'))), `${label}: same bytes as the page-cache image`);
    t.equal(restoredWrong(t, clock, join(dir, 'direct'), model), 0, `${label}: every item reads back byte for byte`);
  }
});

t.test('a large image: a helper thread writes each chunk while the next is filled, same bytes', { skip: canDirect ? false : 'no O_DIRECT here' }, async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { store, model } = filled(clock);
  const buffered = saveImage(store.imagePort(), join(dir, 'buffered'), { direct: false });
  t.ok(buffered.ok);
  for (const stagingBytes of [DIRECT_BLOCK, 5 * DIRECT_BLOCK, undefined]) {
    const label = `staging ${stagingBytes ?? 'default'}`;
    const file = join(dir, 'threaded');
    const r = saveImage(store.imagePort(), file, { stagingBytes, threadAbove: 0 });
    t.ok(r.ok, r.reason);
    t.ok(r.direct && r.writeThread, `${label}: direct, written by the helper thread`);
    t.equal(readFileSync(file).length, buffered.fileBytes, `${label}: exact length`);
    t.ok(body(file).equals(body(join(dir, 'buffered'))), `${label}: same bytes as the page-cache image`);
    t.equal(restoredWrong(t, clock, file, model), 0, `${label}: every item reads back byte for byte`);
  }
  const small = saveImage(store.imagePort(), join(dir, 'small'));
  t.ok(small.direct && !small.writeThread, 'a small image is written without the thread');
});

t.test('a restore reads the bulk with O_DIRECT where it can, and gets the same store as a page-cache read', { skip: canDirect ? false : 'no O_DIRECT here' }, async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { store, model } = filled(clock);
  const file = join(dir, 'image');
  t.ok(saveImage(store.imagePort(), file).ok);
  const keys = [...model.keys()];
  const seen = (s: SegmentStore): string[] =>
    keys.map((k) => {
      const ref = s.peek(b(k));
      return ref < 0 ? '-' : `${s.itemFlags(ref)} ${s.itemCas(ref)} ${s.itemValue(ref).toString('base64')}`;
    });
  const direct = new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 });
  const viaDirect = restoreImage(direct.imagePort(), file);
  t.ok(viaDirect.warm && viaDirect.direct && viaDirect.indexRestored, 'read with O_DIRECT, index restored');
  const cached = new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 });
  const viaCache = restoreImage(cached.imagePort(), file, { direct: false });
  t.ok(viaCache.warm && !viaCache.direct && viaCache.indexRestored, 'read through the page cache, index restored');
  t.same(seen(direct), seen(cached), 'same items either way');
  t.equal(restoredWrong(t, clock, file, model), 0, 'every item reads back byte for byte');
  // A file cut inside the data: the direct reader meets the end of file and the restore is cold.
  writeFileSync(join(dir, 'cut'), readFileSync(file).subarray(0, Math.floor(viaDirect.fileBytes / 2)));
  const cut = restoreImage(new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 }).imagePort(), join(dir, 'cut'));
  t.notOk(cut.warm, `a truncated image is cold (${cut.reason})`);
});

t.test('the read-ahead and prefault threads: small staging slots, the thread reads most chunks, the same store as reading alone; a cut file is still cold', { skip: canDirect ? false : 'no O_DIRECT here' }, async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { store, model } = filled(clock);
  const file = join(dir, 'image');
  t.ok(saveImage(store.imagePort(), file).ok);
  const keys = [...model.keys()];
  const seen = (s: SegmentStore): string[] =>
    keys.map((k) => {
      const ref = s.peek(b(k));
      return ref < 0 ? '-' : `${s.itemFlags(ref)} ${s.itemCas(ref)} ${s.itemValue(ref).toString('base64')}`;
    });
  for (const stagingBytes of [DIRECT_BLOCK, 3 * DIRECT_BLOCK]) {
    const ahead = new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 });
    const viaThread = restoreImage(ahead.imagePort(), file, { stagingBytes, awaitThread: true, prefaultAbove: 0 });
    t.ok(viaThread.warm && viaThread.direct && viaThread.indexRestored, `staging ${stagingBytes}: warm, O_DIRECT, index restored`);
    const chunks = Math.ceil(viaThread.fileBytes / stagingBytes);
    t.ok(viaThread.aheadChunks > chunks / 2, `staging ${stagingBytes}: the thread read ${viaThread.aheadChunks} of about ${chunks} chunks`);
    const alone = new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 });
    const viaMain = restoreImage(alone.imagePort(), file, { stagingBytes, readAhead: false });
    t.ok(viaMain.warm && viaMain.aheadChunks === 0, `staging ${stagingBytes}: without the thread, warm and no chunk read ahead`);
    t.same(seen(ahead), seen(alone), `staging ${stagingBytes}: same items either way`);
    t.same(audit(ahead), [], 'restored store consistent');
    for (const [key, [value, flags, cas]] of model) {
      const ref = ahead.get(b(key));
      if (ref < 0 || !ahead.itemValue(ref).equals(value) || ahead.itemFlags(ref) !== flags || ahead.itemCas(ref) !== cas) {
        t.fail(`${key} reads back wrong`);
        break;
      }
    }
  }
  const bytes = readFileSync(file);
  for (const fraction of [0.3, 0.7, 0.97]) {
    const cut = join(dir, `cut-${fraction}`);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * fraction)));
    const r = restoreImage(new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 }).imagePort(), cut, { stagingBytes: DIRECT_BLOCK, awaitThread: true });
    t.notOk(r.warm, `cut at ${fraction}: cold (${r.reason})`);
  }
  // A flipped data byte read by the thread is still caught by its segment's CRC.
  const flipped = Buffer.from(bytes);
  const mid = Math.floor(bytes.length / 2);
  flipped[mid] = flipped[mid]! ^ 0x40;
  writeFileSync(join(dir, 'flipped'), flipped);
  const r = restoreImage(new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 }).imagePort(), join(dir, 'flipped'), { stagingBytes: DIRECT_BLOCK, awaitThread: true });
  t.ok(!r.warm || !r.indexRestored, `a flipped byte mid-file is refused (${r.reason}${r.indexNote})`);
});

t.test('O_DIRECT refused: the save falls back to the page cache, says why, and restores', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { store, model } = filled(clock);
  const einval = (): never => {
    throw Object.assign(new Error('EINVAL: invalid argument'), { code: 'EINVAL' });
  };
  const refusals: Array<[string, WriterIo, RegExp]> = [
    ['at open (a filesystem without direct I/O)', { ...SYSTEM_IO, open: (p, flags, mode) => ((flags & O_DIRECT) !== 0 && O_DIRECT !== 0 ? einval() : SYSTEM_IO.open(p, flags, mode)) }, /refuses O_DIRECT|no O_DIRECT/],
    ['at every probed alignment', { open: SYSTEM_IO.open, write: (fd, buf, off, len, pos) => (len === DIRECT_BLOCK && pos === 0 ? einval() : SYSTEM_IO.write(fd, buf, off, len, pos)) }, /alignment probe|no O_DIRECT/],
  ];
  const reference = saveImage(store.imagePort(), join(dir, 'reference'), { direct: false });
  t.ok(reference.ok);
  for (const [name, io, note] of refusals) {
    const file = join(dir, 'image');
    const r = saveImage(store.imagePort(), file, { io });
    t.ok(r.ok, `${name}: saved (${r.reason})`);
    t.notOk(r.direct, `${name}: through the page cache`);
    t.match(r.directNote, note, `${name}: ${r.directNote}`);
    t.ok(body(file).equals(body(join(dir, 'reference'))), `${name}: the same image`);
    t.equal(restoredWrong(t, clock, file, model), 0, `${name}: every item reads back byte for byte`);
  }
});

t.test('a failing open or write is reported, and leaves no image and no temp file', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { store } = filled(clock, 500);
  const file = join(dir, 'image');
  const eacces: SaveOptions['io'] = {
    open: () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    },
    write: SYSTEM_IO.write,
  };
  let r = saveImage(store.imagePort(), file, { io: eacces });
  t.notOk(r.ok);
  t.match(r.reason, /cannot write .*EACCES/, 'an open error other than EINVAL is not a fallback');
  let writes = 0;
  const eio: SaveOptions['io'] = {
    open: SYSTEM_IO.open,
    write: (fd, buf, off, len, pos) => {
      if (++writes === 3) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      return SYSTEM_IO.write(fd, buf, off, len, pos);
    },
  };
  r = saveImage(store.imagePort(), file, { io: eio, stagingBytes: DIRECT_BLOCK });
  t.notOk(r.ok);
  t.match(r.reason, /cannot write .*EIO/);
  t.notOk(existsSync(file), 'no image');
  t.notOk(existsSync(`${file}.tmp`), 'no temp file');
});

t.test('a save cut short after any write leaves a file that restores cold (crash mid-save)', { skip: canDirect ? false : 'no O_DIRECT here' }, async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { store, model } = filled(clock, 800);
  const file = join(dir, 'image');
  const stagingBytes = 8 * DIRECT_BLOCK;
  // How many writes a whole save makes (direct: the page-cache path is the old writev one, already all-or-nothing by rename).
  const rec = recording();
  const whole = saveImage(store.imagePort(), file, { io: rec.io, stagingBytes });
  t.ok(whole.ok && whole.direct, `whole save, direct (${whole.directNote})`);
  const total = rec.writes.length;
  t.ok(total > 10, `${total} writes in a whole save`);
  let warm = 0;
  let cutShort = 0;
  // A crash right after write k, for every k but the last (after it the file is whole but not yet synced or renamed).
  for (let cut = 1; cut < total; cut++) {
    let n = 0;
    const crash: WriterIo = {
      open: SYSTEM_IO.open,
      write: (fd, buf, off, len, pos) => {
        const written = SYSTEM_IO.write(fd, buf, off, len, pos);
        if (++n === cut) {
          writeFileSync(join(dir, 'crashed'), readFileSync(join(dir, 'victim.tmp')));
          throw Object.assign(new Error('simulated crash'), { code: 'EIO' });
        }
        return written;
      },
    };
    rmSync(join(dir, 'crashed'), { force: true });
    const r = saveImage(store.imagePort(), join(dir, 'victim'), { io: crash, stagingBytes });
    if (r.ok) continue;
    cutShort++;
    const again = new SegmentStore({ ...OPTIONS, clock, hashSeed: 5 });
    const restored = restoreImage(again.imagePort(), join(dir, 'crashed'));
    if (restored.warm || again.counters.items > 0) warm++;
  }
  t.equal(cutShort, total - 1, 'every cut failed the save');
  t.equal(warm, 0, `none of the ${cutShort} cut-short files restores anything`);
  t.equal(restoredWrong(t, clock, file, model), 0, 'the whole save restores');
});
