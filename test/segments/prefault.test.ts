// The restore's page prefault thread (segments/persist/prefault.ts): it
// touches every page of the views it is given and never changes a byte,
// even while the caller writes the same views at the same time.

import t from 'tap';
import { startPrefault } from '../../segments/persist/prefault.js';

t.test('concurrent writes survive the touches byte for byte', async (t) => {
  const buffer = new SharedArrayBuffer(16 * 1024 * 1024);
  // Views at odd offsets and lengths, as segments' written prefixes are not page-aligned.
  const targets = Array.from({ length: 16 }, (_, i) => new Uint8Array(buffer, i * 1024 * 1024 + (i % 3), 1024 * 1024 - 7));
  const f = startPrefault(targets, 0);
  for (let i = 0; i < targets.length; i++) {
    const v = targets[i]!;
    for (let j = 0; j < v.length; j++) v[j] = (j * 31 + i) & 0xff;
    f.progress(i + 1);
  }
  // Give the thread time to touch whatever it had left, then check nothing moved.
  await new Promise((r) => setTimeout(r, 300));
  f.stop();
  let wrong = 0;
  for (let i = 0; i < targets.length; i++) {
    const v = targets[i]!;
    for (let j = 0; j < v.length; j++) if (v[j] !== ((j * 31 + i) & 0xff)) wrong++;
  }
  t.equal(wrong, 0, 'every byte as written');
});

t.test('small restores and non-shared views start no thread', async (t) => {
  const shared = [new Uint8Array(new SharedArrayBuffer(4096))];
  const plain = [new Uint8Array(new ArrayBuffer(1 << 20))];
  // Nothing observable but that these return and touch nothing: values stay zero.
  startPrefault(shared).stop();
  startPrefault(plain, 0).stop();
  t.equal(shared[0]!.every((x) => x === 0), true);
  t.equal(plain[0]!.every((x) => x === 0), true);
});
