// Line framing, bounds and the building blocks of the text/meta parser:
// memcached's chunking-dependent 2048-byte rule, our bound on get lines,
// `offset`/`consumed`, zero-copy views, every strict prefix being
// incomplete, the numeric token rules of memcached's C helpers and its
// base64 key decoding.

import t from 'tap';
import { DEFAULT_LIMITS } from '../../protocol/request.js';
import type { ParseResult } from '../../protocol/request.js';
import { MAX_GET_LINE_BYTES, parseTextRequest } from '../../protocol/text/parse.js';
import { CRLF, REPLY, REPLY_PREFIX } from '../../protocol/text/replies.js';
import { INCOMPLETE } from '../../protocol/text/results.js';
import {
  parseInt32Token,
  parseUint32Token,
  parseUint64Token,
  parseUint64TokenAsNumber,
} from '../../protocol/text/numbers.js';
import { decodeBase64Key } from '../../protocol/meta/base64.js';
import { SHUTDOWN_MODE } from '../../protocol/text/admin.js';
import { replay } from '../../protocol/text/replay.js';

const parse = (s: string | Buffer, offset = 0): ParseResult =>
  parseTextRequest(typeof s === 'string' ? Buffer.from(s, 'latin1') : s, offset, DEFAULT_LIMITS);

t.test('a long non-get line is parsed if it arrives whole, refused if it trickles in (as memcached)', (t) => {
  const line = `set k 0 0 1${' '.repeat(3000)}\r\na\r\n`;
  const whole = parse(line);
  t.equal(whole.kind, 'ok');
  t.equal(whole.kind === 'ok' && whole.request.type, 'store');

  const first = Buffer.from(line.slice(0, 2100), 'latin1');
  t.equal(parse(first.subarray(0, 2048)), INCOMPLETE, '2048 bytes without newline: wait');
  const r = parse(first);
  t.strictSame(r, { kind: 'error', reply: REPLY.NONE, consumed: 2100, close: true }, 'over 2048: close silently');
  t.end();
});

t.test('get lines without newline are bounded', (t) => {
  const atBound = Buffer.alloc(MAX_GET_LINE_BYTES, 'a');
  atBound.write('get ');
  t.equal(parse(atBound), INCOMPLETE, 'at the bound: wait');
  const over = Buffer.alloc(MAX_GET_LINE_BYTES + 1, 'a');
  over.write('gets ');
  t.strictSame(
    parse(over),
    { kind: 'error', reply: REPLY.SERVER_ERROR_OUT_OF_MEMORY_READING, consumed: MAX_GET_LINE_BYTES + 1, close: true },
    'over the bound: refuse and close',
  );
  t.end();
});

t.test('offset and consumed', (t) => {
  const buf = Buffer.from('junkget a\r\nset b 0 0 1\r\nx\r\n', 'latin1');
  const first = parse(buf, 4);
  t.equal(first.kind === 'ok' && first.consumed, 7, 'consumed counts from offset');
  const second = parse(buf, 11);
  t.equal(second.kind === 'ok' && second.consumed, 16);
  t.equal(parse(buf, buf.length), INCOMPLETE, 'nothing left');
  t.end();
});

t.test('keys and values are views into the input (no copies)', (t) => {
  const buf = Buffer.from('set key 0 0 5\r\nvalue\r\n', 'latin1');
  const r = parse(buf);
  if (r.kind !== 'ok' || r.request.type !== 'store') throw new Error('expected a store request');
  t.equal(r.request.key.buffer, buf.buffer);
  t.equal(r.request.key.byteOffset, buf.byteOffset + 4);
  t.equal(r.request.value.buffer, buf.buffer);
  t.equal(r.request.value.byteOffset, buf.byteOffset + 15);
  const g = parse(Buffer.from('get a bb\r\n'));
  t.ok(g.kind === 'ok' && g.request.type === 'get' && [...g.request.keys].every((k) => k.length > 0));
  t.end();
});

t.test('every strict prefix of a request is incomplete', (t) => {
  for (const input of [
    'get foo\r\n',
    'set k 1 2 5 noreply\r\nhello\r\n',
    'cas k 0 0 3 77\r\nabc\r\n',
    'mg Zm9v b v T30\r\n',
    'ms k 3 T0 F1\r\nabc\r\n',
    'incr k 1\r\n',
    'version\r\n',
  ]) {
    const buf = Buffer.from(input, 'latin1');
    for (let len = 0; len < buf.length; len++) {
      if (parse(buf.subarray(0, len)) !== INCOMPLETE) t.fail(`${JSON.stringify(input)} cut at ${len} is not incomplete`);
    }
    t.equal(parse(buf).kind, 'ok', `${JSON.stringify(input)} whole`);
  }
  t.end();
});

t.test('swallowed block across many reads, then the next command', (t) => {
  const input = Buffer.from(`set k 0 0 20\r\n${'x'.repeat(20)}\r\nversion\r\n`, 'latin1');
  const limits = { ...DEFAULT_LIMITS, maxValueBytes: 4 };
  const chunks = [input.subarray(0, 16), input.subarray(16, 20), input.subarray(20, 30), input.subarray(30)];
  const r = replay(chunks, limits);
  t.equal(r.outcomes.length, 2);
  t.match(r.outcomes[0], { kind: 'swallow', remaining: 22 });
  t.match(r.outcomes[1], { kind: 'ok', request: { type: 'version' } });
  t.equal(r.leftover, 0);
  t.end();
});

t.test('shutdown modes', (t) => {
  for (const [line, mode] of [
    ['shutdown\r\n', SHUTDOWN_MODE.IMMEDIATE],
    ['shutdown graceful\r\n', SHUTDOWN_MODE.GRACEFUL],
    ['shutdown x\r\n', SHUTDOWN_MODE.INVALID],
  ] as const) {
    const r = parse(line);
    t.equal(r.kind === 'ok' && r.request.type === 'shutdown' && r.request.arg, mode, line);
  }
  t.end();
});

t.test('numeric tokens follow memcached safe_strto*', (t) => {
  const tok = (s: string) => [Buffer.from(s, 'latin1'), 0, Buffer.byteLength(s, 'latin1')] as const;
  const int32: [string, number][] = [
    ['0', 0], ['42', 42], ['-1', -1], ['+7', 7], ['\t5', 5], ['5\t', 5], ['5\tjunk', 5], ['2147483647', 2147483647],
    ['2147483648', -2147483648], ['4294967297', 1], ['-2147483649', 2147483647], ['9223372036854775807', -1],
    ['00000000000000000000012', 12], ['', NaN], ['-', NaN], ['x', NaN], ['1x', NaN], ['0x10', NaN], ['9223372036854775808', NaN],
    ['-9223372036854775808', 0], ['-9223372036854775809', NaN], ['1 ', 1], ['- 1', NaN],
  ];
  for (const [s, want] of int32) t.equal(String(parseInt32Token(...tok(s))), String(want), `int32 ${JSON.stringify(s)}`);
  const uint32: [string, number][] = [
    ['0', 0], ['4294967295', 4294967295], ['4294967296', 0], ['-0', 0], ['-1', NaN], ['18446744073709551615', 4294967295],
    ['18446744073709551616', NaN], ['-9223372036854775809', 4294967295], ['-18446744073709551615', 1], ['+3', 3], ['3x', NaN],
    ['12345678901234567', 1567312775],
  ];
  for (const [s, want] of uint32) t.equal(String(parseUint32Token(...tok(s))), String(want), `uint32 ${JSON.stringify(s)}`);
  const uint64: [string, bigint | null][] = [
    ['0', 0n], ['18446744073709551615', 18446744073709551615n], ['18446744073709551616', null], ['-1', null], ['-0', 0n],
    ['9223372036854775808', 9223372036854775808n], ['-9223372036854775809', 9223372036854775807n], ['1\t-', 1n],
    ['99999999999999999999', null], ['x', null], ['123456789012345678', 123456789012345678n],
  ];
  for (const [s, want] of uint64) t.equal(parseUint64Token(...tok(s)), want, `uint64 ${JSON.stringify(s)}`);
  t.equal(parseUint64TokenAsNumber(...tok('12345678901234567890')), Number(12345678901234567890n), 'the nearest double');
  t.equal(parseUint64TokenAsNumber(...tok('99')), 99);
  t.ok(Number.isNaN(parseUint64TokenAsNumber(...tok('-5'))));
  t.ok(Number.isNaN(parseUint64TokenAsNumber(...tok('18446744073709551616'))));
  t.equal(parseUint64TokenAsNumber(...tok('-9999999999999999999')), Number(8446744073709551617n), 'wraps below 2^63');
  t.ok(Number.isNaN(parseUint64TokenAsNumber(...tok('y'))));
  t.end();
});

t.test('base64 keys decode as memcached decodes them', (t) => {
  const dec = (s: string) => {
    const b = Buffer.from(s, 'latin1');
    const r = decodeBase64Key(b, 0, b.length);
    return r === null ? null : r.toString('latin1');
  };
  t.equal(dec('Zm9v'), 'foo');
  t.equal(dec('Zm8='), 'fo');
  t.equal(dec('Zg=='), 'f');
  t.equal(dec('Zg==Zm9v'), 'f', 'stops after the padded block');
  t.equal(dec('Zm9vYmFy'), 'foobar');
  t.equal(dec('Z!m9v'), 'foo', 'bytes outside the alphabet are skipped');
  t.equal(dec('AP8K'), '\x00\xff\x0a');
  t.equal(dec('+/+/'), '\xfb\xff\xbf');
  t.equal(dec('Zm9'), null, 'not a multiple of 4');
  t.equal(dec('!!!!'), null, 'no alphabet characters');
  t.equal(dec(''), null);
  t.equal(dec('A==='), null, 'three pads');
  t.equal(dec('===='), null);
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  const encoded = Buffer.from(all.toString('base64'));
  t.strictSame(decodeBase64Key(encoded, 0, encoded.length), all, 'round trip of every byte');
  t.end();
});

t.test('reply constants', (t) => {
  for (const [name, buf] of Object.entries(REPLY)) {
    if (name === 'NONE') {
      t.equal(buf.length, 0);
      continue;
    }
    t.ok(buf.subarray(-2).equals(CRLF), `${name} ends with CRLF`);
    t.notOk(buf.subarray(0, -2).includes(10), `${name} is one line`);
  }
  t.equal(REPLY.CLIENT_ERROR_BAD_FORMAT.toString(), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(REPLY.SERVER_ERROR_OUT_OF_MEMORY.toString(), 'SERVER_ERROR out of memory storing object\r\n');
  t.equal(REPLY.ERROR_TOO_MANY_CONNECTIONS.toString(), 'ERROR Too many open connections\r\n');
  t.equal(REPLY_PREFIX.VERSION.toString(), 'VERSION ');
  t.ok(Object.isFrozen(REPLY));
  t.end();
});
