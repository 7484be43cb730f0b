// Response packets byte for byte. The expected hex is what memcached 1.6.18
// sends for the same situation (captured from a real server).

import t from 'tap';
import { ReplyWriter } from '../../protocol/reply-writer.js';
import {
  errorPacket,
  writeBodyReply,
  writeCounter,
  writeEmptySuccess,
  writeError,
  writeGetHitHead,
  writeMissWithKey,
  writeStat,
} from '../../protocol/binary/encode.js';
import { STATUS_AUTH_ERROR, STATUS_KEY_EEXISTS, STATUS_KEY_ENOENT, STATUS_SUCCESS } from '../../protocol/binary/status.js';

function bytesOf(write: (out: ReplyWriter) => void, chunkSize?: number): string {
  const out = new ReplyWriter(chunkSize);
  write(out);
  const taken = out.take();
  if (taken === null) return '';
  return (Array.isArray(taken) ? Buffer.concat(taken) : taken).toString('hex');
}

const hex = (...parts: string[]) => parts.join('').replace(/\s+/g, '');

/** A whole get hit, as the responder writes one: the head, then the value bytes. */
function getHit(out: ReplyWriter, opcode: number, opaque: number, cas: number, flags: number, key: Buffer | undefined, value: Buffer): void {
  writeGetHitHead(out, opcode, opaque, cas, flags, key, value.length);
  out.writeBuffer(value);
}

t.test('empty success echoes opcode, opaque and CAS', async (t) => {
  // memcached: Set stored -> 81 01 0000 00 00 0000 00000000 00000001 cas=1
  t.equal(
    bytesOf((o) => writeEmptySuccess(o, 0x01, 1, 1)),
    hex('81 01 0000 00 00 0000 00000000 00000001 0000000000000001'),
  );
  t.equal(
    bytesOf((o) => writeEmptySuccess(o, 0x0a, 0xfedcba98)),
    hex('81 0a 0000 00 00 0000 00000000 fedcba98 0000000000000000'),
  );
});

t.test('CAS above 2^32 is written as a 64-bit big-endian number', async (t) => {
  t.equal(
    bytesOf((o) => writeEmptySuccess(o, 0x01, 0, 2 ** 40 + 5)),
    hex('81 01 0000 00 00 0000 00000000 00000000 0000010000000005'),
  );
});

t.test('errors carry memcached short texts', async (t) => {
  const notFound = Buffer.from('Not found').toString('hex');
  t.equal(bytesOf((o) => writeError(o, 0x00, 1, STATUS_KEY_ENOENT)), hex('81 00 0000 00 00 0001 00000009 00000001 0000000000000000', notFound));
  const exists = Buffer.from('Data exists for key.').toString('hex');
  t.equal(bytesOf((o) => writeError(o, 0x02, 2, STATUS_KEY_EEXISTS)), hex('81 02 0000 00 00 0002 00000014 00000002 0000000000000000', exists));
  t.equal(errorPacket(0x0a, 2, STATUS_AUTH_ERROR).toString('hex'), hex('81 0a 0000 00 00 0020 0000000d 00000002 0000000000000000', Buffer.from('Auth failure.').toString('hex')));
});

t.test('get hit: flags extras, optional key, value', async (t) => {
  // memcached: Get k1 (flags deadbeef, "hello", cas 1)
  t.equal(
    bytesOf((o) => getHit(o, 0x00, 2, 1, 0xdeadbeef, undefined, Buffer.from('hello'))),
    hex('81 00 0000 04 00 0000 00000009 00000002 0000000000000001 deadbeef', Buffer.from('hello').toString('hex')),
  );
  // GetK adds the key: keylen 2, body 4 + 2 + 5
  t.equal(
    bytesOf((o) => getHit(o, 0x0c, 3, 1, 0xdeadbeef, Buffer.from('k1'), Buffer.from('hello'))),
    hex('81 0c 0002 04 00 0000 0000000b 00000003 0000000000000001 deadbeef 6b31', Buffer.from('hello').toString('hex')),
  );
  // Touch hit: flags only
  t.equal(
    bytesOf((o) => writeGetHitHead(o, 0x1c, 4, 1, 0xdeadbeef, undefined, 0)),
    hex('81 1c 0000 04 00 0000 00000004 00000004 0000000000000001 deadbeef'),
  );
});

t.test('GetK miss carries the key, no text', async (t) => {
  t.equal(
    bytesOf((o) => writeMissWithKey(o, 0x0c, 2, Buffer.from('nokey'))),
    hex('81 0c 0005 00 00 0001 00000005 00000002 0000000000000000', Buffer.from('nokey').toString('hex')),
  );
});

t.test('counter: 8-byte body', async (t) => {
  t.equal(
    bytesOf((o) => writeCounter(o, 0x05, 1, 4, 10n)),
    hex('81 05 0000 00 00 0000 00000008 00000001 0000000000000004 000000000000000a'),
  );
  t.equal(
    bytesOf((o) => writeCounter(o, 0x06, 1, 4, 0xffffffffffffffffn)),
    hex('81 06 0000 00 00 0000 00000008 00000001 0000000000000004 ffffffffffffffff'),
  );
});

t.test('stat packet: name as key, value as body', async (t) => {
  t.equal(
    bytesOf((o) => writeStat(o, 0x10, 1, 'maxconns', '1024')),
    hex('81 10 0008 00 00 0000 0000000c 00000001 0000000000000000', Buffer.from('maxconns1024').toString('hex')),
  );
});

t.test('body replies (version, mechanisms)', async (t) => {
  t.equal(
    bytesOf((o) => writeBodyReply(o, 0x0b, STATUS_SUCCESS, 0x11223344, Buffer.from('1.6.18'))),
    hex('81 0b 0000 00 00 0000 00000006 11223344 0000000000000000', Buffer.from('1.6.18').toString('hex')),
  );
});

t.test('packets spanning writer chunks stay whole', async (t) => {
  const value = Buffer.alloc(100, 0x61);
  const small = bytesOf((o) => {
    for (let i = 0; i < 5; i++) getHit(o, 0x00, i, 1, 0, undefined, value);
  }, 64);
  const large = bytesOf((o) => {
    for (let i = 0; i < 5; i++) getHit(o, 0x00, i, 1, 0, undefined, value);
  });
  t.equal(small, large);
  t.equal(small.length / 2, 5 * (24 + 4 + 100));
});
