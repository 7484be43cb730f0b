// Property checks over random input (pelikan's fuzz invariants, run as
// tests): the parser never throws; consumed is positive and never past the
// input; a parsed text key is 1-250 bytes with no space, NUL or LF (other
// control bytes are legal key bytes in memcached); a value is exactly the
// declared length and followed by CRLF; and the outcome of a stream does
// not depend on how it is split into reads.

import t, { type Test } from 'tap';
import type { ParseResult } from '../../protocol/request.js';
import { DEFAULT_LIMITS } from '../../protocol/request.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import { byteByByte, prng, randomSplits, replayPlain, whole } from './parse-cases.js';

const FRAGMENTS = [
  'get', 'gets', 'gat', 'gats', 'bget', 'set', 'add', 'replace', 'append', 'prepend', 'cas', 'incr', 'decr',
  'touch', 'delete', 'flush_all', 'verbosity', 'cache_memlimit', 'shutdown', 'stats', 'version', 'quit',
  'mg', 'ms', 'md', 'ma', 'me', 'mn', 'noreply', 'HTTP/1.1', 'GET', 'v', 'k', 'q', 'b', 'T30', 'N0', 'O123',
  'MS', 'ME', 'MX', 'M+', 'C5', 'F9', 'J1', 'D2', 'Zm9v', 'Zm9', 'key', 'a\tb', '0', '1', '2', '5', '10', '-1',
  '4294967296', '18446744073709551616', '2147483648', ' ', ' ', ' ', ' ', '  ', '\r\n', '\r\n', '\r\n', '\n',
  '\r', '\x00', 'hello', 'x'.repeat(251),
];

function randomStream(random: () => number): Buffer {
  const parts: Buffer[] = [];
  const count = 1 + Math.floor(random() * 40);
  for (let i = 0; i < count; i++) {
    const r = random();
    if (r < 0.85) {
      parts.push(Buffer.from(FRAGMENTS[Math.floor(random() * FRAGMENTS.length)]!, 'latin1'));
    } else {
      const bytes = Buffer.alloc(1 + Math.floor(random() * 8));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      parts.push(bytes);
    }
  }
  return Buffer.concat(parts);
}

function uniformBytes(random: () => number): Buffer {
  const bytes = Buffer.alloc(Math.floor(random() * 300));
  for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
  return bytes;
}

/** Invariants of one parse result on the buffer it came from; a list of violations. */
function violations(buf: Buffer, offset: number, r: ParseResult): string[] {
  const bad: string[] = [];
  if (r.kind === 'incomplete') return bad;
  if (!(r.consumed >= 1 && r.consumed <= buf.length - offset)) bad.push(`consumed ${r.consumed}`);
  if (r.kind === 'error' || r.kind === 'swallow') {
    if (r.reply.length > 0 && !r.reply.subarray(-2).equals(Buffer.from('\r\n'))) bad.push('reply without CRLF');
    if (r.kind === 'swallow' && r.remaining < 2) bad.push(`swallow ${r.remaining}`);
    return bad;
  }
  const end = buf.byteOffset + offset + r.consumed;
  const inside = (b: Buffer) => b.buffer === buf.buffer && b.byteOffset >= buf.byteOffset + offset && b.byteOffset + b.length <= end;
  const checkTextKey = (key: Buffer) => {
    if (key.length < 1 || key.length > 250) bad.push(`key length ${key.length}`);
    if (key.includes(32) || key.includes(0) || key.includes(10)) bad.push('key with space, NUL or LF');
    if (!inside(key)) bad.push('key outside the request');
  };
  const req = r.request;
  switch (req.type) {
    case 'get':
      for (const key of req.keys) checkTextKey(key);
      break;
    case 'store':
    case 'arith':
    case 'touch':
    case 'delete':
      checkTextKey(req.key);
      break;
    case 'mg':
    case 'ms':
    case 'md':
    case 'ma':
    case 'me':
      if (req.base64Key) {
        if (req.key.length < 1 || req.key.length > 187) bad.push(`decoded key length ${req.key.length}`);
      } else {
        checkTextKey(req.key);
      }
      for (const letter of req.flags.keys()) if (letter.length !== 1) bad.push(`flag ${letter}`);
      break;
  }
  if (req.type === 'store' || req.type === 'ms') {
    const v = req.value;
    if (!inside(v)) bad.push('value outside the request');
    if (v.byteOffset + v.length + 2 !== end) bad.push('value not right before the final CRLF');
    if (buf[end - buf.byteOffset - 2] !== 13 || buf[end - buf.byteOffset - 1] !== 10) bad.push('no CRLF after value');
    // The value starts right after the line; its length token, when plain digits, is the value length.
    const lineEnd = buf.lastIndexOf(10, v.byteOffset - buf.byteOffset - 1);
    if (lineEnd !== v.byteOffset - buf.byteOffset - 1) bad.push('value does not start after the line');
    const line = buf.toString('latin1', offset, lineEnd).replace(/\r$/, '').split(' ').filter((s) => s !== '');
    const lengthToken = req.type === 'store' ? line[4] : line[2];
    if (lengthToken !== undefined && /^[0-9]{1,9}$/.test(lengthToken) && Number(lengthToken) !== v.length) {
      bad.push(`declared ${lengthToken}, value ${v.length}`);
    }
  }
  return bad;
}

/** Parse a stream repeatedly from the start of what is left, checking each result. */
function checkStream(buf: Buffer): string[] {
  let offset = 0;
  for (let steps = 0; steps < 10_000; steps++) {
    const r = parseTextRequest(buf, offset, DEFAULT_LIMITS);
    const bad = violations(buf, offset, r);
    if (bad.length > 0) return bad;
    if (r.kind === 'incomplete' || (r.kind === 'error' && r.close)) return [];
    offset += r.consumed + (r.kind === 'swallow' ? r.remaining : 0);
    if (offset >= buf.length) return [];
  }
  return ['no progress'];
}

/** checkStream over `runs` generated streams; the first five failures are reported. */
function checkGeneratedStreams(t: Test, runs: number, generate: () => Buffer): void {
  let failures = 0;
  for (let i = 0; i < runs && failures < 5; i++) {
    const stream = generate();
    let bad: string[];
    try {
      bad = checkStream(stream);
    } catch (err) {
      bad = [`threw ${String(err)}`];
    }
    if (bad.length > 0) {
      failures++;
      t.fail(`${JSON.stringify(stream.toString('latin1'))}: ${bad.join(', ')}`);
    }
  }
  t.equal(failures, 0, 'no invariant broken');
}

t.test('random command-like streams', (t) => {
  const random = prng(20261121);
  checkGeneratedStreams(t, 3000, () => randomStream(random));
  t.end();
});

t.test('uniform random bytes', (t) => {
  const random = prng(7);
  checkGeneratedStreams(t, 2000, () => uniformBytes(random));
  t.end();
});

t.test('outcomes do not depend on how a stream is split', (t) => {
  const random = prng(99);
  let failures = 0;
  for (let i = 0; i < 600 && failures < 5; i++) {
    const stream = randomStream(random);
    if (stream.length > 2048) continue; // memcached's 2048-byte rule depends on read sizes
    const reference = replayPlain(whole(stream), DEFAULT_LIMITS);
    for (const chunks of [byteByByte(stream), randomSplits(stream, random)]) {
      const got = replayPlain(chunks, DEFAULT_LIMITS);
      if (JSON.stringify(got, bigints) !== JSON.stringify(reference, bigints)) {
        failures++;
        t.strictSame(got, reference, JSON.stringify(stream.toString('latin1')));
        break;
      }
    }
  }
  t.equal(failures, 0, 'same outcomes for every split');
  t.end();
});

t.test('generated valid requests round-trip', (t) => {
  const random = prng(4242);
  for (let i = 0; i < 500; i++) {
    const keyLength = 1 + Math.floor(random() * 250);
    const key = Buffer.alloc(keyLength);
    for (let j = 0; j < keyLength; j++) {
      let b = 0;
      while (b === 32 || b === 0 || b === 10 || b === 13) b = Math.floor(random() * 256);
      key[j] = b;
    }
    const value = Buffer.alloc(Math.floor(random() * 300));
    for (let j = 0; j < value.length; j++) value[j] = Math.floor(random() * 256);
    const flags = Math.floor(random() * 2 ** 32);
    const exptime = Math.floor(random() * 2 ** 31) * (random() < 0.2 ? -1 : 1);
    const line = Buffer.concat([Buffer.from('set '), key, Buffer.from(` ${flags} ${exptime} ${value.length}\r\n`), value, Buffer.from('\r\n')]);
    const r = parseTextRequest(line, 0, DEFAULT_LIMITS);
    if (r.kind !== 'ok' || r.request.type !== 'store') {
      t.fail(`set ${i} did not parse: ${r.kind}`);
      continue;
    }
    const q = r.request;
    if (!q.key.equals(key) || !q.value.equals(value) || q.flags !== flags || q.exptime !== exptime || r.consumed !== line.length) {
      t.fail(`set ${i} fields differ`);
    }
    const b64 = key.toString('base64');
    const meta = Buffer.concat([Buffer.from(`ms ${b64} ${value.length} b F${flags} T${exptime}\r\n`), value, Buffer.from('\r\n')]);
    const m = parseTextRequest(meta, 0, DEFAULT_LIMITS);
    if (b64.length > 250) {
      t.equal(m.kind, 'error', 'encoded key over 250 bytes is refused');
      continue;
    }
    if (m.kind !== 'ok' || m.request.type !== 'ms') {
      t.fail(`ms ${i} did not parse: ${m.kind}`);
      continue;
    }
    if (!m.request.key.equals(key) || !m.request.value.equals(value) || m.request.flags.get('F') !== String(flags)) {
      t.fail(`ms ${i} fields differ`);
    }
  }
  t.pass('round trips done');
  t.end();
});

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
