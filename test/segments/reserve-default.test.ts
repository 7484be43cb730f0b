// defaultReserveSegments (segment-store.ts): how many free segments the
// housekeeper keeps ahead of writers when nothing sets it, by heap size and
// request threads. Not whether the housekeeper keeps them
// (test/integration/loop-housekeeper.test.ts).

import t from 'tap';
import { defaultReserveSegments } from '../../segments/segment-store.js';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';

t.test('one writer: 1/32 of the heap, 2 to 64, one below 64 segments', async (t) => {
  t.equal(defaultReserveSegments(8), 1);
  t.equal(defaultReserveSegments(63), 1);
  t.equal(defaultReserveSegments(64), 2);
  t.equal(defaultReserveSegments(95), 2);
  t.equal(defaultReserveSegments(127), 3);
  t.equal(defaultReserveSegments(1024), 32);
  t.equal(defaultReserveSegments(4096), 64);
  t.equal(defaultReserveSegments(65536), 64);
});

t.test('at least one per request thread, up to 1/16 of the heap', async (t) => {
  t.equal(defaultReserveSegments(64, 4), 4, '-t 4 on 64 segments');
  t.equal(defaultReserveSegments(64, 16), 4, 'capped at 1/16 of 64');
  t.equal(defaultReserveSegments(64, 2), 2, 'two writers: the share already covers them');
  t.equal(defaultReserveSegments(15, 4), 1, 'under 16 segments the cap is 0: the share stands');
  t.equal(defaultReserveSegments(48, 4), 3, '1/16 of 48');
  t.equal(defaultReserveSegments(128, 8), 8, '-t 8 on 128 segments');
  t.equal(defaultReserveSegments(1024, 16), 32, 'a large heap: the share is more');
  t.equal(defaultReserveSegments(4096, 128), 128, 'past the share cap of 64, one per writer');
});

t.test('a default reserve follows the heap cache_memlimit sets; one set by tuning stays', async (t) => {
  const SEG = 64 * 1024;
  const options = { memoryLimitBytes: 64 * SEG, segmentSize: SEG, itemSizeMax: 4096 };
  const byDefault = attachStore(createSharedStore(options, { writerThreads: 4 }), { threadSlot: 0 });
  t.equal(byDefault.shape().reserveSegments, 4, '-t 4 on 64 segments');
  t.equal(byDefault.setMemoryLimit(16 * SEG), true);
  t.equal(byDefault.shape().reserveSegments, 1, 'shrunk to 16 segments: 1/16 of them');
  t.equal(byDefault.setMemoryLimit(64 * SEG), true);
  t.equal(byDefault.shape().reserveSegments, 4, 'back to 64: 4 again');

  const oneWriter = attachStore(createSharedStore(options), { threadSlot: 0 });
  t.equal(oneWriter.setMemoryLimit(16 * SEG), true);
  t.equal(oneWriter.shape().reserveSegments, 2, 'one writer: the reserve sized at start, as before');

  const tuned = attachStore(createSharedStore(options, { reserveSegments: 4, writerThreads: 4 }), { threadSlot: 0 });
  t.equal(tuned.setMemoryLimit(16 * SEG), true);
  t.equal(tuned.shape().reserveSegments, 4, 'set by tuning: kept (below the heap)');
  t.equal(tuned.setMemoryLimit(4 * SEG), true);
  t.equal(tuned.shape().reserveSegments, 3, 'never the whole heap');
});
