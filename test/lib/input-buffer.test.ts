// InputBuffer: partial input kept between reads without re-copying it per
// chunk, and released when a large request is done.

import t from 'tap';
import { InputBuffer } from '../../lib/server/input-buffer.js';

t.test('appends, views and consumes', async (t) => {
  const b = new InputBuffer();
  t.equal(b.capacity, 0, 'nothing allocated until needed');
  b.append(Buffer.from('xxhello'), 2);
  t.equal(b.length, 5);
  t.equal(b.view().toString('latin1', b.start), 'hello');
  b.append(Buffer.from(' world'));
  t.equal(b.view().toString('latin1', b.start), 'hello world');
  b.consumeTo(b.start + 6);
  t.equal(b.view().toString('latin1', b.start), 'world');
  b.consumeTo(b.end);
  t.equal(b.length, 0);
  t.equal(b.start, 0, 'empty buffer rewinds');
  b.append(Buffer.alloc(0));
  t.equal(b.length, 0);
});

t.test('a 1 MiB value in 1 KiB chunks is copied a bounded number of times', async (t) => {
  const b = new InputBuffer();
  const total = 1024 * 1024;
  const chunk = Buffer.alloc(1024, 0x61);
  for (let i = 0; i < total / chunk.length; i++) b.append(chunk);
  t.equal(b.length, total);
  // Each byte is copied once in, plus doubling moves that add up to < 1x.
  t.ok(b.copiedBytes < 2 * total, `copied ${b.copiedBytes} bytes for ${total}`);
});

t.test('requests consumed while more arrives keep copies linear', async (t) => {
  const b = new InputBuffer();
  const line = Buffer.from('get some-key\r\n');
  let fed = 0;
  for (let i = 0; i < 100_000; i++) {
    b.append(line);
    fed += line.length;
    // Consume all but a partial tail, as a parser would.
    if (b.length > 3) b.consumeTo(b.end - 3);
  }
  t.ok(b.copiedBytes < 3 * fed, `copied ${b.copiedBytes} for ${fed} fed`);
  t.ok(b.capacity <= 64 * 1024, `capacity stays small: ${b.capacity}`);
});

t.test('a large buffer is released once empty', async (t) => {
  const b = new InputBuffer();
  b.append(Buffer.alloc(500_000));
  t.ok(b.capacity >= 500_000);
  b.consumeTo(b.end);
  t.equal(b.capacity, 0);
  b.append(Buffer.from('x'));
  t.ok(b.capacity <= 16 * 1024);
  b.clear();
  t.equal(b.length, 0);
  t.ok(b.capacity > 0, 'a small buffer is kept for reuse');
});
