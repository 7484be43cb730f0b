// The binary parser against a table of raw packets: every opcode, the quiet
// variants and every malformed-header reply memcached 1.6.18 gives (expected
// replies were taken from a real memcached 1.6.18). Each case is parsed
// whole, byte by byte, and at a nonzero offset.

import t from 'tap';
import { parseBinaryRequest } from '../../protocol/binary/parse.js';
import { DEFAULT_LIMITS, type ParseResult, type ParserLimits } from '../../protocol/request.js';
import { arithExtras, decodeReplies, packet, reply, storeExtras, u32, type PacketSpec } from '../binary/packets.js';
import { KeyList } from '../../protocol/key-list.js';
import { prng } from '../prng.js';

/** ParseResult with Buffers turned into strings / decoded packets, for deep comparison. */
function normalize(r: ParseResult): unknown {
  switch (r.kind) {
    case 'incomplete':
      return r;
    case 'error':
      return { kind: 'error', consumed: r.consumed, close: r.close, reply: decodeReplies(r.reply) };
    case 'swallow':
      return { kind: 'swallow', consumed: r.consumed, remaining: r.remaining, reply: decodeReplies(r.reply) };
    case 'ok': {
      const req: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.request)) {
        req[k] = Buffer.isBuffer(v) ? v.toString('latin1') : v instanceof KeyList ? v.toStrings() : v;
      }
      return { kind: 'ok', consumed: r.consumed, request: req };
    }
  }
}

const base = (opcode: number, quiet = false, opaque = 0) => ({ protocol: 'binary', quiet, opaque, binaryOpcode: opcode });
const getReq = (opcode: number, quiet: boolean, withKey: boolean, key: string, touchExptime?: number, opaque = 0) => ({
  ...base(opcode, quiet, opaque),
  type: 'get',
  keys: [key],
  withCas: true,
  touchExptime,
  withKey,
});
const storeReq = (opcode: number, quiet: boolean, mode: string, key: string, value: string, flags: number, exptime: number, cas: number) => ({
  ...base(opcode, quiet),
  type: 'store',
  mode,
  key,
  value,
  flags,
  exptime,
  cas,
});
const arithReq = (opcode: number, quiet: boolean, incr: boolean, key: string, cas = 0) => ({
  ...base(opcode, quiet),
  type: 'arith',
  incr,
  key,
  delta: 5n,
  initial: 10n,
  exptime: 100,
  cas,
});

interface OkCase {
  name: string;
  spec: PacketSpec;
  request: Record<string, unknown>;
}

const okCases: OkCase[] = [
  { name: 'Get', spec: { opcode: 0x00, key: 'foo', opaque: 0xdeadbeef }, request: getReq(0x00, false, false, 'foo', undefined, 0xdeadbeef) },
  { name: 'GetQ', spec: { opcode: 0x09, key: 'foo' }, request: getReq(0x09, true, false, 'foo') },
  { name: 'GetK', spec: { opcode: 0x0c, key: 'foo' }, request: getReq(0x0c, false, true, 'foo') },
  { name: 'GetKQ', spec: { opcode: 0x0d, key: 'foo' }, request: getReq(0x0d, true, true, 'foo') },
  { name: 'GAT', spec: { opcode: 0x1d, key: 'k', extras: u32(60) }, request: getReq(0x1d, false, false, 'k', 60) },
  { name: 'GATQ', spec: { opcode: 0x1e, key: 'k', extras: u32(60) }, request: getReq(0x1e, true, false, 'k', 60) },
  { name: 'GATK', spec: { opcode: 0x23, key: 'k', extras: u32(0xffffffff) }, request: getReq(0x23, false, true, 'k', 0xffffffff) },
  { name: 'GATKQ', spec: { opcode: 0x24, key: 'k', extras: u32(0) }, request: getReq(0x24, true, true, 'k', 0) },
  {
    name: 'Touch',
    spec: { opcode: 0x1c, key: 'k', extras: u32(30) },
    request: { ...base(0x1c), type: 'touch', key: 'k', exptime: 30 },
  },
  {
    name: 'Touch with trailing body bytes (skipped with the packet)',
    spec: { opcode: 0x1c, key: 'k', extras: u32(30), value: 'zz' },
    request: { ...base(0x1c), type: 'touch', key: 'k', exptime: 30 },
  },
  {
    name: 'Set',
    spec: { opcode: 0x01, key: 'k', extras: storeExtras(0xdeadbeef, 3600), value: 'hello' },
    request: storeReq(0x01, false, 'set', 'k', 'hello', 0xdeadbeef, 3600, 0),
  },
  {
    name: 'Set with CAS above 2^32',
    spec: { opcode: 0x01, key: 'k', extras: storeExtras(0, 0), value: 'v', cas: 0x1_0000_0002n },
    request: storeReq(0x01, false, 'set', 'k', 'v', 0, 0, 0x1_0000_0002),
  },
  {
    name: 'Set with empty value',
    spec: { opcode: 0x01, key: 'k', extras: storeExtras(0, 0) },
    request: storeReq(0x01, false, 'set', 'k', '', 0, 0, 0),
  },
  { name: 'SetQ', spec: { opcode: 0x11, key: 'k', extras: storeExtras(1, 2), value: 'v' }, request: storeReq(0x11, true, 'set', 'k', 'v', 1, 2, 0) },
  { name: 'Add', spec: { opcode: 0x02, key: 'k', extras: storeExtras(1, 2), value: 'v' }, request: storeReq(0x02, false, 'add', 'k', 'v', 1, 2, 0) },
  { name: 'AddQ', spec: { opcode: 0x12, key: 'k', extras: storeExtras(1, 2), value: 'v' }, request: storeReq(0x12, true, 'add', 'k', 'v', 1, 2, 0) },
  {
    name: 'Replace',
    spec: { opcode: 0x03, key: 'k', extras: storeExtras(1, 2), value: 'v', cas: 7 },
    request: storeReq(0x03, false, 'replace', 'k', 'v', 1, 2, 7),
  },
  { name: 'ReplaceQ', spec: { opcode: 0x13, key: 'k', extras: storeExtras(1, 2), value: 'v' }, request: storeReq(0x13, true, 'replace', 'k', 'v', 1, 2, 0) },
  { name: 'Append', spec: { opcode: 0x0e, key: 'k', value: 'tail' }, request: storeReq(0x0e, false, 'append', 'k', 'tail', 0, 0, 0) },
  { name: 'AppendQ', spec: { opcode: 0x19, key: 'k', value: 'tail', cas: 3 }, request: storeReq(0x19, true, 'append', 'k', 'tail', 0, 0, 3) },
  { name: 'Prepend', spec: { opcode: 0x0f, key: 'k', value: 'head' }, request: storeReq(0x0f, false, 'prepend', 'k', 'head', 0, 0, 0) },
  { name: 'PrependQ', spec: { opcode: 0x1a, key: 'k', value: '' }, request: storeReq(0x1a, true, 'prepend', 'k', '', 0, 0, 0) },
  { name: 'Delete', spec: { opcode: 0x04, key: 'k', cas: 9 }, request: { ...base(0x04), type: 'delete', key: 'k', cas: 9 } },
  { name: 'DeleteQ', spec: { opcode: 0x14, key: 'k' }, request: { ...base(0x14, true), type: 'delete', key: 'k', cas: 0 } },
  { name: 'Increment', spec: { opcode: 0x05, key: 'c', extras: arithExtras(5n, 10n, 100) }, request: arithReq(0x05, false, true, 'c') },
  { name: 'IncrementQ', spec: { opcode: 0x15, key: 'c', extras: arithExtras(5n, 10n, 100), cas: 4 }, request: arithReq(0x15, true, true, 'c', 4) },
  { name: 'Decrement', spec: { opcode: 0x06, key: 'c', extras: arithExtras(5n, 10n, 100) }, request: arithReq(0x06, false, false, 'c') },
  { name: 'DecrementQ', spec: { opcode: 0x16, key: 'c', extras: arithExtras(5n, 10n, 100) }, request: arithReq(0x16, true, false, 'c') },
  {
    name: 'Increment with 64-bit delta',
    spec: { opcode: 0x05, key: 'c', extras: arithExtras(0xffffffffffffffffn, 0n, 0xffffffff) },
    request: { ...arithReq(0x05, false, true, 'c'), delta: 0xffffffffffffffffn, initial: 0n, exptime: 0xffffffff },
  },
  { name: 'Flush', spec: { opcode: 0x08 }, request: { ...base(0x08), type: 'flush_all', delay: 0 } },
  { name: 'Flush with delay', spec: { opcode: 0x08, extras: u32(10) }, request: { ...base(0x08), type: 'flush_all', delay: 10 } },
  { name: 'FlushQ', spec: { opcode: 0x18 }, request: { ...base(0x18, true), type: 'flush_all', delay: 0 } },
  { name: 'Noop', spec: { opcode: 0x0a, opaque: 5 }, request: { ...base(0x0a, false, 5), type: 'noop', arg: 0 } },
  { name: 'Version', spec: { opcode: 0x0b }, request: { ...base(0x0b), type: 'version', arg: 0 } },
  { name: 'Quit', spec: { opcode: 0x07 }, request: { ...base(0x07), type: 'quit', arg: 0 } },
  { name: 'QuitQ', spec: { opcode: 0x17 }, request: { ...base(0x17, true), type: 'quit', arg: 0 } },
  { name: 'Stat', spec: { opcode: 0x10 }, request: { ...base(0x10), type: 'stats', group: '', args: '' } },
  { name: 'Stat settings', spec: { opcode: 0x10, key: 'settings' }, request: { ...base(0x10), type: 'stats', group: 'settings', args: '' } },
  { name: 'Stat detail dump', spec: { opcode: 0x10, key: 'detail dump' }, request: { ...base(0x10), type: 'stats', group: 'detail', args: 'dump' } },
  { name: 'SASL list mechs', spec: { opcode: 0x20 }, request: { ...base(0x20), type: 'sasl_list', arg: 0 } },
  {
    name: 'SASL auth',
    spec: { opcode: 0x21, key: 'PLAIN', value: '\0user\0pw' },
    request: { ...base(0x21), type: 'sasl_auth', mechanism: 'PLAIN', data: '\0user\0pw' },
  },
  {
    name: 'SASL step',
    spec: { opcode: 0x22, key: 'PLAIN', value: 'x' },
    request: { ...base(0x22), type: 'sasl_step', mechanism: 'PLAIN', data: 'x' },
  },
  {
    name: 'Get with 250-byte key',
    spec: { opcode: 0x00, key: 'k'.repeat(250) },
    request: getReq(0x00, false, false, 'k'.repeat(250)),
  },
];

interface ErrorCase {
  name: string;
  bytes: Buffer;
  expected: unknown;
  limits?: ParserLimits;
}

const fatal = (opcode: number, status: number, value: string, opaque = 0) => ({
  kind: 'error',
  consumed: 24,
  close: true,
  reply: [reply({ opcode, status, value, opaque })],
});
const EINVAL = (opcode: number) => fatal(opcode, 0x04, 'Invalid arguments');
const swallowed = (opcode: number, status: number, value: string, remaining: number, opaque = 0, consumed = 24) => ({
  kind: 'swallow',
  consumed,
  remaining,
  reply: [reply({ opcode, status, value, opaque })],
});

const errorCases: ErrorCase[] = [
  { name: 'bad magic: close, no reply', bytes: packet({ opcode: 0x0a, magic: 0x81 }), expected: { kind: 'error', consumed: 24, close: true, reply: [] } },
  {
    name: 'key+extras longer than body: Unknown command, close',
    bytes: packet({ opcode: 0x00, key: 'abc', bodyLen: 2, opaque: 1 }).subarray(0, 26),
    expected: fatal(0x00, 0x81, 'Unknown command', 1),
  },
  {
    name: 'key longer than 250: Invalid arguments, close',
    bytes: packet({ opcode: 0x00, key: 'k'.repeat(251), opaque: 1 }),
    expected: fatal(0x00, 0x04, 'Invalid arguments', 1),
  },
  {
    name: 'unknown opcode: body swallowed, connection kept',
    bytes: packet({ opcode: 0x50, key: 'ab', extras: u32(1), value: 'xyz', opaque: 1 }),
    expected: swallowed(0x50, 0x81, 'Unknown command', 9, 1),
  },
  {
    name: 'Verbosity (0x1b) is unknown to memcached 1.6',
    bytes: packet({ opcode: 0x1b, extras: u32(1) }),
    expected: swallowed(0x1b, 0x81, 'Unknown command', 4),
  },
  { name: 'Get with extras', bytes: packet({ opcode: 0x00, key: 'abc', extras: u32(0) }), expected: EINVAL(0x00) },
  { name: 'Get without key', bytes: packet({ opcode: 0x00 }), expected: EINVAL(0x00) },
  { name: 'GetQ with a value', bytes: packet({ opcode: 0x09, key: 'k', value: 'v' }), expected: EINVAL(0x09) },
  { name: 'Set with 4-byte extras', bytes: packet({ opcode: 0x01, key: 'k', extras: u32(0), value: 'v' }), expected: EINVAL(0x01) },
  { name: 'Set without key', bytes: packet({ opcode: 0x01, extras: storeExtras(0, 0), value: 'v' }), expected: EINVAL(0x01) },
  { name: 'AddQ without extras', bytes: packet({ opcode: 0x12, key: 'k', value: 'v' }), expected: EINVAL(0x12) },
  { name: 'Append with extras', bytes: packet({ opcode: 0x0e, key: 'k', extras: u32(0), value: 'zz' }), expected: EINVAL(0x0e) },
  { name: 'Prepend without key', bytes: packet({ opcode: 0x0f, value: 'zz' }), expected: EINVAL(0x0f) },
  { name: 'Delete with extras', bytes: packet({ opcode: 0x04, key: 'k', extras: u32(0) }), expected: EINVAL(0x04) },
  { name: 'Delete with a value', bytes: packet({ opcode: 0x04, key: 'k', value: 'v' }), expected: EINVAL(0x04) },
  {
    name: 'Increment with a value after the extras',
    bytes: packet({ opcode: 0x05, key: 'c', extras: arithExtras(1n, 0n, 0), value: 'zz' }),
    expected: EINVAL(0x05),
  },
  { name: 'Decrement with 8-byte extras', bytes: packet({ opcode: 0x06, key: 'c', extras: storeExtras(0, 0) }), expected: EINVAL(0x06) },
  { name: 'Touch without extras', bytes: packet({ opcode: 0x1c, key: 'k' }), expected: EINVAL(0x1c) },
  { name: 'GAT without key', bytes: packet({ opcode: 0x1d, extras: u32(0) }), expected: EINVAL(0x1d) },
  { name: 'Flush with 2-byte extras', bytes: packet({ opcode: 0x08, extras: Buffer.alloc(2) }), expected: EINVAL(0x08) },
  { name: 'Flush with a key', bytes: packet({ opcode: 0x18, key: 'k' }), expected: EINVAL(0x18) },
  { name: 'Noop with a body', bytes: packet({ opcode: 0x0a, value: 'z', opaque: 1 }), expected: fatal(0x0a, 0x04, 'Invalid arguments', 1) },
  { name: 'Version with a body', bytes: packet({ opcode: 0x0b, value: 'x' }), expected: EINVAL(0x0b) },
  { name: 'Quit with a key', bytes: packet({ opcode: 0x07, key: 'k' }), expected: EINVAL(0x07) },
  { name: 'QuitQ with extras', bytes: packet({ opcode: 0x17, extras: u32(0) }), expected: EINVAL(0x17) },
  { name: 'Stat with extras', bytes: packet({ opcode: 0x10, extras: u32(0) }), expected: EINVAL(0x10) },
  { name: 'SASL list with a body', bytes: packet({ opcode: 0x20, value: 'abc' }), expected: EINVAL(0x20) },
  { name: 'SASL auth without mechanism', bytes: packet({ opcode: 0x21, value: 'abc' }), expected: EINVAL(0x21) },
  { name: 'SASL step with extras', bytes: packet({ opcode: 0x22, key: 'PLAIN', extras: u32(0) }), expected: EINVAL(0x22) },
  {
    name: 'Set over the item limit: Too large, value swallowed',
    bytes: packet({ opcode: 0x01, key: 'big', extras: storeExtras(0, 0), bodyLen: 8 + 3 + 101, opaque: 7 }),
    limits: { maxKeyBytes: 250, maxValueBytes: 100 },
    expected: swallowed(0x01, 0x03, 'Too large.', 101, 7, 24 + 8 + 3),
  },
  {
    name: 'SetQ over the item limit still reports',
    bytes: packet({ opcode: 0x11, key: 'big', extras: storeExtras(0, 0), bodyLen: 8 + 3 + 2_000_000 }),
    expected: swallowed(0x11, 0x03, 'Too large.', 2_000_000, 0, 24 + 8 + 3),
  },
  {
    name: 'Append over the item limit',
    bytes: packet({ opcode: 0x0e, key: 'big', bodyLen: 3 + 101 }),
    limits: { maxKeyBytes: 250, maxValueBytes: 100 },
    expected: swallowed(0x0e, 0x03, 'Too large.', 101, 0, 24 + 3),
  },
  {
    name: 'SASL auth data over the item limit: Out of memory, swallowed',
    bytes: packet({ opcode: 0x21, key: 'PLAIN', bodyLen: 5 + 101 }),
    limits: { maxKeyBytes: 250, maxValueBytes: 100 },
    expected: swallowed(0x21, 0x82, 'Out of memory', 101, 0, 24 + 5),
  },
  {
    name: 'Stat with a huge trailing body: refused, close',
    bytes: packet({ opcode: 0x10, key: 'items', bodyLen: 5 + 101 }),
    limits: { maxKeyBytes: 250, maxValueBytes: 100 },
    expected: EINVAL(0x10),
  },
];

/** Feed `bytes` one byte at a time as a connection would; return the first non-incomplete result. */
function parseByteByByte(bytes: Buffer, limits: ParserLimits): { result: ParseResult; fedBytes: number } {
  for (let n = 1; n <= bytes.length; n++) {
    const r = parseBinaryRequest(Buffer.from(bytes.subarray(0, n)), 0, limits);
    if (r.kind !== 'incomplete') return { result: r, fedBytes: n };
  }
  return { result: { kind: 'incomplete' }, fedBytes: bytes.length };
}

t.test('every opcode parses to its request, whole, byte by byte and at an offset', async (t) => {
  for (const c of okCases) {
    const bytes = packet(c.spec);
    const expected = { kind: 'ok', consumed: bytes.length, request: c.request };
    t.strictSame(normalize(parseBinaryRequest(bytes, 0, DEFAULT_LIMITS)), expected, `${c.name}: whole`);
    const { result, fedBytes } = parseByteByByte(bytes, DEFAULT_LIMITS);
    t.equal(fedBytes, bytes.length, `${c.name}: incomplete until the last byte`);
    t.strictSame(normalize(result), expected, `${c.name}: byte by byte`);
    const junk = Buffer.from('junk before');
    t.strictSame(normalize(parseBinaryRequest(Buffer.concat([junk, bytes]), junk.length, DEFAULT_LIMITS)), expected, `${c.name}: at offset`);
  }
});

t.test('malformed packets get memcached 1.6 replies, whole and byte by byte', async (t) => {
  for (const c of errorCases) {
    const limits = c.limits ?? DEFAULT_LIMITS;
    t.strictSame(normalize(parseBinaryRequest(c.bytes, 0, limits)), c.expected, `${c.name}: whole`);
    const { result } = parseByteByByte(c.bytes, limits);
    const expected = c.name.startsWith('bad magic')
      ? { kind: 'error', consumed: 1, close: true, reply: [] } // detected on the first byte
      : c.expected;
    t.strictSame(normalize(result), expected, `${c.name}: byte by byte`);
  }
});

t.test('errors are answered without waiting for the value', async (t) => {
  const head = packet({ opcode: 0x01, key: 'big', extras: storeExtras(0, 0), bodyLen: 8 + 3 + 5_000_000 });
  t.equal(head.length, 24 + 8 + 3);
  t.equal(parseBinaryRequest(head.subarray(0, 34), 0, DEFAULT_LIMITS).kind, 'incomplete', 'waits for the whole key');
  t.match(parseBinaryRequest(head, 0, DEFAULT_LIMITS), { kind: 'swallow', consumed: 35, remaining: 5_000_000 });
  const unknown = packet({ opcode: 0x99, bodyLen: 1 << 30 }).subarray(0, 24);
  t.match(parseBinaryRequest(unknown, 0, DEFAULT_LIMITS), { kind: 'swallow', consumed: 24, remaining: 1 << 30 });
});

t.test('nothing to parse and short headers are incomplete', async (t) => {
  t.equal(parseBinaryRequest(Buffer.alloc(0), 0, DEFAULT_LIMITS).kind, 'incomplete');
  const noop = packet({ opcode: 0x0a });
  t.equal(parseBinaryRequest(noop, noop.length, DEFAULT_LIMITS).kind, 'incomplete');
  t.equal(parseBinaryRequest(noop.subarray(0, 23), 0, DEFAULT_LIMITS).kind, 'incomplete');
});

t.test('values and keys are views into the read buffer, not copies', async (t) => {
  const bytes = packet({ opcode: 0x01, key: 'k', extras: storeExtras(0, 0), value: 'abc' });
  const r = parseBinaryRequest(bytes, 0, DEFAULT_LIMITS);
  if (r.kind !== 'ok' || r.request.type !== 'store') throw new Error('expected a store request');
  bytes[bytes.length - 1] = 0x5a; // 'Z'
  t.equal(r.request.value.toString(), 'abZ');
  t.equal(r.request.value.buffer, bytes.buffer);
  t.equal(r.request.key.buffer, bytes.buffer);
});


t.test('a pipeline of every valid packet parses the same under random splits', async (t) => {
  const all = Buffer.concat(okCases.map((c) => packet(c.spec)));
  const rand = prng(42);
  for (let round = 0; round < 20; round++) {
    // Simulate a connection: chunks arrive, unparsed bytes are kept.
    let pending = Buffer.alloc(0);
    let pos = 0;
    const seen: string[] = [];
    while (pos < all.length) {
      const n = 1 + Math.floor(rand() * 64);
      pending = Buffer.concat([pending, all.subarray(pos, pos + n)]);
      pos += n;
      let off = 0;
      for (;;) {
        const r = parseBinaryRequest(pending, off, DEFAULT_LIMITS);
        if (r.kind === 'incomplete') break;
        if (r.kind !== 'ok') throw new Error(`unexpected ${r.kind}`);
        seen.push(`${r.request.binaryOpcode}`);
        off += r.consumed;
      }
      pending = pending.subarray(off);
    }
    t.strictSame(seen, okCases.map((c) => `${c.spec.opcode}`), `round ${round}`);
    t.equal(pending.length, 0);
  }
});

t.test('random headers never throw, never stall on a full packet, and keep keys in bounds', async (t) => {
  const rand = prng(7);
  const limits: ParserLimits = { maxKeyBytes: 250, maxValueBytes: 1024 };
  const opcodes = [...okCases.map((c) => c.spec.opcode), 0x1b, 0x30, 0x99, 0xff];
  let ok = 0;
  const problems: string[] = [];
  for (let i = 0; i < 20000; i++) {
    const keyLen = rand() < 0.5 ? Math.floor(rand() * 8) : Math.floor(rand() * 300);
    const extLen = [0, 4, 8, 20, Math.floor(rand() * 256)][Math.floor(rand() * 5)] as number;
    const valueLen = rand() < 0.8 ? Math.floor(rand() * 16) : Math.floor(rand() * 2048);
    const bodyLen = rand() < 0.9 ? keyLen + extLen + valueLen : Math.floor(rand() * 400);
    const bytes = packet({
      opcode: opcodes[Math.floor(rand() * opcodes.length)] as number,
      key: Buffer.alloc(Math.min(keyLen, Math.max(0, bodyLen - extLen)), 0x6b),
      extras: Buffer.alloc(Math.min(extLen, bodyLen)),
      keyLen,
      extLen,
      bodyLen,
    });
    const whole = Buffer.concat([bytes, Buffer.alloc(Math.max(0, 24 + bodyLen - bytes.length))]);
    const r = parseBinaryRequest(whole, 0, limits);
    const head = whole.subarray(0, 24).toString('hex');
    if (r.kind === 'incomplete') {
      problems.push(`stalled on a whole packet ${head}`);
      continue;
    }
    if (r.consumed <= 0 || r.consumed > whole.length) problems.push(`consumed ${r.consumed} of ${whole.length}: ${head}`);
    if (r.kind === 'ok') {
      ok++;
      if (r.consumed !== 24 + bodyLen) problems.push(`ok consumed ${r.consumed}, packet ${24 + bodyLen}: ${head}`);
      const req = r.request as { key?: Buffer; keys?: KeyList };
      const key = req.key ?? req.keys?.first();
      if (key !== undefined && (key.length > 250 || (key.length === 0 && r.request.type !== 'stats'))) {
        problems.push(`bad key length ${key.length}: ${head}`);
      }
    }
  }
  t.strictSame(problems, [], 'no stalls, overruns or out-of-bounds keys');
  t.ok(ok > 100, `some random packets are valid (${ok})`);
});
