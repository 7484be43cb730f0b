// Staging memory for O_DIRECT image I/O (segments/persist/direct-buffer.ts):
// it is zeroed, shared when asked, and page-aligned at offset 0 when it came
// from a wasm memory (the kernel takes a direct write from there); the probe
// returns the first offset the kernel takes, passes on any refusal other
// than EINVAL, and gives up with null.

import t from 'tap';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIRECT_BLOCK, probeAligned, stagingMemory } from '../../segments/persist/direct-buffer.js';

const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT;
const einval = (): never => {
  throw Object.assign(new Error('EINVAL: invalid argument'), { code: 'EINVAL' });
};

t.test('staging memory: at least the size plus a spare block, zeroed, shared when asked', async (t) => {
  for (const shared of [true, false]) {
    const { memory } = stagingMemory(3 * DIRECT_BLOCK, shared);
    t.ok(memory.length >= 4 * DIRECT_BLOCK, `${memory.length} bytes`);
    t.equal(memory.buffer instanceof SharedArrayBuffer, shared, shared ? 'shared' : 'not shared');
    t.ok(memory.every((x) => x === 0), 'zeroed');
  }
  t.ok(stagingMemory(DIRECT_BLOCK, true).pageAligned, 'Node 24 has wasm memories: page-aligned');
});

t.test('the probe returns the first offset taken, as a view of the asked size', async (t) => {
  const { memory } = stagingMemory(2 * DIRECT_BLOCK, false);
  const tried: number[] = [];
  const view = probeAligned(memory, 2 * DIRECT_BLOCK, (offset) => {
    tried.push(offset);
    if (offset < 24) einval();
  });
  t.same(tried, [0, 8, 16, 24], 'offsets 0, 8, 16, ... until one is taken');
  t.equal(view?.byteOffset, memory.byteOffset + 24);
  t.equal(view?.length, 2 * DIRECT_BLOCK);
  t.equal(
    probeAligned(memory, DIRECT_BLOCK, () => einval()),
    null,
    'every offset refused: null',
  );
  t.throws(
    () =>
      probeAligned(memory, DIRECT_BLOCK, () => {
        throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      }),
    /EIO/,
    'another error is passed on',
  );
  t.throws(() => probeAligned(memory, DIRECT_BLOCK + 1, () => {}), /multiple/, 'sizes are whole blocks');
});

t.test('a direct write from a wasm memory is taken at offset 0', { skip: O_DIRECT === undefined ? 'no O_DIRECT here' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gac-direct-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let fd: number;
  try {
    fd = openSync(join(dir, 'f'), constants.O_WRONLY | constants.O_CREAT | O_DIRECT!, 0o600);
  } catch {
    t.pass('this filesystem refuses O_DIRECT: nothing to check');
    return;
  }
  try {
    const { memory } = stagingMemory(DIRECT_BLOCK, true);
    const view = probeAligned(memory, DIRECT_BLOCK, (offset) => writeSync(fd, memory, offset, DIRECT_BLOCK, 0));
    t.equal(view?.byteOffset, 0, 'offset 0');
  } finally {
    closeSync(fd);
  }
});
