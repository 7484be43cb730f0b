// ReplyWriter: the byte-level writers (decimal, ASCII, small and large
// copies), take() across chunks, and recycle(): chunk reuse must never
// overwrite bytes handed out and not yet released.

import t from 'tap';
import { ReplyWriter, decimalDigits, putDecimal } from '../../protocol/reply-writer.js';

function text(data: Buffer | Buffer[] | null): string {
  if (data === null) return '';
  return (Array.isArray(data) ? Buffer.concat(data) : data).toString('latin1');
}

t.test('writeDecimal matches String() for the integers replies carry', async (t) => {
  const out = new ReplyWriter(64);
  const samples = [0, 1, 9, 10, 99, 100, 101, 999, 1000, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 1e15 + 7, Number.MAX_SAFE_INTEGER];
  for (let p = 1; p < 1e16; p *= 10) samples.push(p - 1, p, p + 1);
  for (const n of samples) {
    out.writeDecimal(n);
    t.equal(text(out.take()), String(n), `${n}`);
    t.equal(decimalDigits(n), String(n).length);
  }
  // Outside the fast path: still what String() prints.
  for (const n of [-1, -250, 1.5, 2 ** 60]) {
    out.writeDecimal(n);
    t.equal(text(out.take()), String(n));
  }
});

t.test('putDecimal writes at an offset and returns the end', async (t) => {
  const buf = Buffer.alloc(24, 0x2e);
  const end = putDecimal(buf, 3, 40123);
  t.equal(end, 8);
  t.equal(buf.toString('latin1', 0, 10), '...40123..');
});

t.test('writeAscii, writeByte, writeBuffer (small, large, slices), writeCRLF', async (t) => {
  const out = new ReplyWriter(32);
  const long = 'x'.repeat(100);
  out.writeAscii('VALUE ');
  out.writeByte(0x41);
  out.writeAscii(long);
  out.writeBuffer(Buffer.from('0123456789'), 2, 5);
  const big = Buffer.alloc(70, 0x62);
  out.writeBuffer(big);
  out.writeCRLF();
  t.equal(out.length, 6 + 1 + 100 + 3 + 70 + 2);
  t.equal(text(out.take()), `VALUE A${long}234${'b'.repeat(70)}\r\n`);
  t.equal(out.take(), null, 'nothing new');
});

t.test('take() hands out views; recycle() rewinds only when everything was taken', async (t) => {
  const out = new ReplyWriter(16);
  out.writeAscii('hello');
  const first = out.take() as Buffer;
  t.equal(first.toString(), 'hello');
  out.writeAscii('world');
  out.recycle(); // 'world' not taken yet: must not rewind
  out.writeAscii('!');
  t.equal(text(out.take()), 'world!');
  t.equal(first.toString(), 'hello', 'earlier view untouched');
  const before = out.chunk;
  out.recycle();
  out.writeAscii('again');
  t.equal(out.chunk, before, 'same chunk reused');
  t.equal(out.pos, 5, 'written from its start');
  t.equal(text(out.take()), 'again');
});

t.test('after each recycle a reply of the same length comes out in the same view, with the new bytes', async (t) => {
  const out = new ReplyWriter(16);
  out.writeAscii('STORED\r\n');
  const first = out.take() as Buffer;
  out.recycle();
  out.writeAscii('EXISTS\r\n');
  const second = out.take() as Buffer;
  t.equal(second, first, 'no new view object');
  t.equal(second.toString(), 'EXISTS\r\n');
  out.recycle();
  out.writeAscii('END\r\n');
  const third = out.take() as Buffer;
  t.not(third, first, 'another length: another view');
  t.equal(third.toString(), 'END\r\n');
  out.recycle();
  // 14 bytes, then 5 that do not fit: they start a new chunk, and the part
  // in it is as long as the view kept of the old chunk.
  out.writeAscii('VALUE k 0 1\r\n');
  out.writeAscii('x\r\nE\n');
  const parts = out.take() as Buffer[];
  t.equal(text(parts), 'VALUE k 0 1\r\nx\r\nE\n');
  const last = parts[parts.length - 1]!;
  t.ok(last.buffer === out.chunk.buffer && last.byteOffset === out.chunk.byteOffset, 'a view of the new chunk, not the one kept of the old');
});

t.test('replies spanning chunks: several views, then spare chunks are reused after recycle', async (t) => {
  const out = new ReplyWriter(16);
  for (let i = 0; i < 5; i++) out.writeAscii('abcdefghij');
  const parts = out.take();
  t.ok(Array.isArray(parts), 'several views');
  t.equal(text(parts), 'abcdefghij'.repeat(5));
  const held = out.heldBytes;
  out.recycle();
  t.ok(out.heldBytes > held, 'filled chunks kept as spares');
  t.ok(out.heldBytes <= 16 * 3, 'at most two spares besides the current chunk');
  // The same traffic again allocates nothing new: held bytes do not grow.
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 5; i++) out.writeAscii('0123456789');
    t.equal(text(out.take()), '0123456789'.repeat(5));
    out.recycle();
  }
  t.ok(out.heldBytes <= 16 * 3);
  // A reply larger than a chunk gets its own, which is not kept.
  out.writeBuffer(Buffer.alloc(100, 0x7a));
  t.equal(text(out.take()), 'z'.repeat(100));
  out.recycle();
  t.ok(out.heldBytes <= 100 + 16 * 2);
});

t.test('truncate() drops the tail of what is untaken, within a chunk or across chunks', async (t) => {
  const w = new ReplyWriter(8);
  w.writeAscii('abc');
  w.truncate(5);
  t.equal(w.length, 3, 'no-op when the length is not shorter');
  w.writeAscii('defgh');
  w.truncate(4);
  t.equal(Buffer.concat([w.take() ?? Buffer.alloc(0)].flat()).toString(), 'abcd', 'within the current chunk');

  w.writeAscii('12345678');
  w.writeAscii('ABCDEFGH');
  w.writeAscii('xyz');
  t.equal(w.length, 19);
  w.truncate(10);
  t.equal(w.length, 10);
  w.writeAscii('!');
  t.equal(Buffer.concat([w.take() ?? Buffer.alloc(0)].flat()).toString(), '12345678AB!', 'cut inside an earlier chunk');
  w.writeAscii('abcdefghijk');
  w.truncate(0);
  t.equal(w.length, 0);
  t.equal(w.take(), null);
});
