// The binary responder with a real store: exact reply packets for every
// command (statuses, texts, extras, keys and bodies as memcached 1.6.18 sends
// them; CAS values are checked for consistency, the numbering is the store's).

import t from 'tap';
import { createHarness } from './harness.js';
import { arithExtras, packet, reply, storeExtras, u32 } from './packets.js';
import { createSaslVerifierFromUsers, parsePasswordFile } from '../../lib/auth/sasl.js';

const NOT_FOUND = { status: 0x01, value: 'Not found' };
const EXISTS = { status: 0x02, value: 'Data exists for key.' };
const TOO_LARGE = { status: 0x03, value: 'Too large.' };
const EINVAL = { status: 0x04, value: 'Invalid arguments' };
const NOT_STORED = { status: 0x05, value: 'Not stored.' };
const BADVAL = { status: 0x06, value: 'Non-numeric server-side value for incr or decr' };
const AUTH_ERROR = { status: 0x20, value: 'Auth failure.' };
const UNKNOWN = { status: 0x81, value: 'Unknown command' };

const set = (key: string, value: string, o: { flags?: number; exptime?: number; cas?: number | bigint; opaque?: number; opcode?: number } = {}) =>
  packet({ opcode: o.opcode ?? 0x01, key, extras: storeExtras(o.flags ?? 0, o.exptime ?? 0), value, cas: o.cas ?? 0, opaque: o.opaque ?? 0 });
const get = (key: string, opcode = 0x00, opaque = 0) => packet({ opcode, key, opaque });
const noop = (opaque = 0) => packet({ opcode: 0x0a, opaque });
const incr = (key: string, delta: bigint, initial: bigint, exptime: number, o: { opcode?: number; cas?: number; opaque?: number } = {}) =>
  packet({ opcode: o.opcode ?? 0x05, key, extras: arithExtras(delta, initial, exptime), cas: o.cas ?? 0, opaque: o.opaque ?? 0 });
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b.toString('latin1');
};

t.test('get family: hits, misses, quiet misses, keys echoed', async (t) => {
  const h = createHarness();
  t.strictSame(h.send(get('nokey', 0x00, 1), get('nokey', 0x0c, 2), get('nokey', 0x09, 3), get('nokey', 0x0d, 4), noop(5)), [
    reply({ opcode: 0x00, opaque: 1, ...NOT_FOUND }),
    reply({ opcode: 0x0c, opaque: 2, status: 0x01, key: 'nokey' }),
    reply({ opcode: 0x0a, opaque: 5 }),
  ]);
  const [stored] = h.send(set('k1', 'hello', { flags: 0xdeadbeef, opaque: 1 }));
  t.equal(stored?.status, 0);
  const cas = stored?.cas as bigint;
  t.ok(cas > 0n, 'set reply carries the new CAS');
  t.strictSame(h.send(get('k1', 0x00, 2), get('k1', 0x0c, 3), get('k1', 0x09, 4), get('k1', 0x0d, 5)), [
    reply({ opcode: 0x00, opaque: 2, cas, extras: 'deadbeef', value: 'hello' }),
    reply({ opcode: 0x0c, opaque: 3, cas, extras: 'deadbeef', key: 'k1', value: 'hello' }),
    reply({ opcode: 0x09, opaque: 4, cas, extras: 'deadbeef', value: 'hello' }),
    reply({ opcode: 0x0d, opaque: 5, cas, extras: 'deadbeef', key: 'k1', value: 'hello' }),
  ]);
  t.equal(h.ctx.counters.cmdGet, 8);
});

t.test('touch and get-and-touch', async (t) => {
  const h = createHarness();
  const cas = h.send(set('k1', 'hello', { flags: 7, exptime: 10 }))[0]?.cas as bigint;
  t.strictSame(
    h.send(
      packet({ opcode: 0x1c, key: 'k1', extras: u32(100), opaque: 4 }),
      packet({ opcode: 0x1d, key: 'k1', extras: u32(100), opaque: 5 }),
      packet({ opcode: 0x23, key: 'k1', extras: u32(100), opaque: 6 }),
      packet({ opcode: 0x1e, key: 'k1', extras: u32(100), opaque: 7 }),
      packet({ opcode: 0x24, key: 'k1', extras: u32(100), opaque: 8 }),
    ),
    [
      reply({ opcode: 0x1c, opaque: 4, cas, extras: '00000007' }),
      reply({ opcode: 0x1d, opaque: 5, cas, extras: '00000007', value: 'hello' }),
      reply({ opcode: 0x23, opaque: 6, cas, extras: '00000007', key: 'k1', value: 'hello' }),
      reply({ opcode: 0x1e, opaque: 7, cas, extras: '00000007', value: 'hello' }),
      reply({ opcode: 0x24, opaque: 8, cas, extras: '00000007', key: 'k1', value: 'hello' }),
    ],
  );
  h.clock.advanceSeconds(50);
  t.equal(h.send(get('k1'))[0]?.status, 0, 'the touch moved the expiry past 10 s');
  t.strictSame(
    h.send(
      packet({ opcode: 0x1c, key: 'no', extras: u32(0), opaque: 8 }),
      packet({ opcode: 0x1d, key: 'no', extras: u32(0), opaque: 9 }),
      packet({ opcode: 0x23, key: 'no', extras: u32(0), opaque: 10 }),
      packet({ opcode: 0x1e, key: 'no', extras: u32(0), opaque: 11 }),
      packet({ opcode: 0x24, key: 'no', extras: u32(0), opaque: 12 }),
      noop(13),
    ),
    [
      reply({ opcode: 0x1c, opaque: 8, ...NOT_FOUND }),
      reply({ opcode: 0x1d, opaque: 9, ...NOT_FOUND }),
      reply({ opcode: 0x23, opaque: 10, status: 0x01, key: 'no' }),
      reply({ opcode: 0x0a, opaque: 13 }),
    ],
  );
  t.equal(h.ctx.counters.cmdTouch, 10);
  h.clock.advanceSeconds(101);
  t.strictSame(h.send(get('k1')), [reply({ opcode: 0x00, ...NOT_FOUND })], 'expired after the touched TTL');
});

t.test('storage commands and their failures', async (t) => {
  const h = createHarness();
  const replies = h.send(
    set('k2', 'v', { opaque: 1 }),
    set('k2', 'v', { opcode: 0x02, opaque: 2 }), // add existing
    set('nokey', 'v', { opcode: 0x03, opaque: 3 }), // replace missing
    set('k2', 'v', { opaque: 4, cas: 999999 }), // cas mismatch
    packet({ opcode: 0x0e, key: 'nokey', value: 'v', opaque: 5 }), // append missing
    packet({ opcode: 0x0f, key: 'nokey', value: 'v', opaque: 6 }), // prepend missing
    set('k3', 'v', { opcode: 0x11, opaque: 7 }), // setq: silent
    set('k3', 'v', { opcode: 0x12, opaque: 8 }), // addq fails: reported
    set('nokey', 'v', { opcode: 0x03, opaque: 9, cas: 5 }), // replace with cas, missing
    set('nokey', 'v', { opaque: 10, cas: 5 }), // set with cas, missing
    noop(11),
  );
  t.equal(replies[0]?.status, 0);
  t.strictSame(replies.slice(1), [
    reply({ opcode: 0x02, opaque: 2, ...EXISTS }),
    reply({ opcode: 0x03, opaque: 3, ...NOT_FOUND }),
    reply({ opcode: 0x01, opaque: 4, ...EXISTS }),
    reply({ opcode: 0x0e, opaque: 5, ...NOT_STORED }),
    reply({ opcode: 0x0f, opaque: 6, ...NOT_STORED }),
    reply({ opcode: 0x12, opaque: 8, ...EXISTS }),
    reply({ opcode: 0x03, opaque: 9, ...NOT_FOUND }),
    reply({ opcode: 0x01, opaque: 10, ...NOT_FOUND }),
    reply({ opcode: 0x0a, opaque: 11 }),
  ]);
  t.equal(h.ctx.counters.cmdSet, 10);
});

t.test('CAS is honoured on every write', async (t) => {
  const h = createHarness();
  const c1 = h.send(set('k', 'a'))[0]?.cas as bigint;
  const [replaced] = h.send(set('k', 'b', { opcode: 0x03, cas: c1 }));
  t.equal(replaced?.status, 0, 'replace with the right CAS');
  const c2 = replaced?.cas as bigint;
  t.not(c2, c1, 'a write makes a new CAS');
  t.strictSame(h.send(set('k', 'x', { cas: c1, opaque: 1 })), [reply({ opcode: 0x01, opaque: 1, ...EXISTS })], 'stale CAS on set');
  t.strictSame(h.send(set('k', 'x', { opcode: 0x02, cas: c1, opaque: 1 })), [reply({ opcode: 0x02, opaque: 1, ...EXISTS })], 'stale CAS on add');
  t.strictSame(h.send(packet({ opcode: 0x0e, key: 'k', value: 'x', cas: c1, opaque: 2 })), [reply({ opcode: 0x0e, opaque: 2, ...EXISTS })], 'stale CAS on append');
  t.strictSame(h.send(packet({ opcode: 0x0f, key: 'k', value: 'x', cas: c1, opaque: 2 })), [reply({ opcode: 0x0f, opaque: 2, ...EXISTS })], 'stale CAS on prepend');
  t.strictSame(h.send(packet({ opcode: 0x04, key: 'k', cas: c1, opaque: 3 })), [reply({ opcode: 0x04, opaque: 3, ...EXISTS })], 'stale CAS on delete');
  t.strictSame(h.send(get('k')).map((r) => r.value), ['b'], 'nothing changed');
  const [appended] = h.send(packet({ opcode: 0x0e, key: 'k', value: 'c', cas: c2 }));
  t.equal(appended?.status, 0, 'append with the right CAS');
  const c3 = appended?.cas as bigint;
  const [prepended] = h.send(packet({ opcode: 0x0f, key: 'k', value: 'a', cas: c3 }));
  t.equal(prepended?.status, 0, 'prepend with the right CAS');
  t.strictSame(h.send(get('k')).map((r) => [r.value, r.cas]), [['abc', prepended?.cas]]);
  const [set2] = h.send(set('k', 'd', { cas: prepended?.cas as bigint }));
  t.equal(set2?.status, 0, 'set with the right CAS');
  t.strictSame(h.send(packet({ opcode: 0x04, key: 'k', cas: set2?.cas as bigint })), [reply({ opcode: 0x04 })], 'delete with the right CAS');
});

t.test('with -C the header CAS does not make writes conditional', async (t) => {
  const h = createHarness({ settings: { casEnabled: false } });
  t.strictSame(h.send(set('k', 'a')), [reply({ opcode: 0x01 })], 'CAS 0 in replies');
  t.strictSame(h.send(set('k', 'b', { cas: 12345 })), [reply({ opcode: 0x01 })]);
  t.equal(h.send(get('k'))[0]?.value, 'b');
});

t.test('append and prepend', async (t) => {
  const h = createHarness();
  h.send(set('k', 'mid', { flags: 3 }));
  t.strictSame(h.send(packet({ opcode: 0x19, key: 'k', value: '>' }), packet({ opcode: 0x1a, key: 'k', value: '<' })), [], 'quiet variants are silent');
  t.strictSame(h.send(get('k')).map((r) => [r.extras, r.value]), [['00000003', '<mid>']], 'flags kept');
  t.strictSame(h.send(packet({ opcode: 0x19, key: 'nokey', value: 'x', opaque: 9 })), [reply({ opcode: 0x19, opaque: 9, ...NOT_STORED })]);
});

t.test('increment and decrement', async (t) => {
  const h = createHarness();
  h.send(set('text', 'v'));
  const replies = h.send(
    incr('c1', 5n, 10n, 0, { opaque: 1 }), // missing: created with initial
    incr('c1', 5n, 10n, 0, { opaque: 2 }),
    incr('c1', 256n, 10n, 0, { opcode: 0x06, opaque: 3 }), // floors at 0
    incr('text', 1n, 10n, 0, { opaque: 4 }),
    incr('c9', 1n, 10n, 0xffffffff, { opaque: 5 }), // no create
    incr('c1', 1n, 10n, 0, { opcode: 0x15, opaque: 6 }), // quiet
    incr('c1', 1n, 10n, 0, { opaque: 7, cas: 123456 }), // CAS mismatch
    incr('c9', 1n, 10n, 0xffffffff, { opcode: 0x16, opaque: 8 }), // quiet, still reports
  );
  t.strictSame(
    replies.map((r) => ({ ...r, cas: r.cas > 0n })),
    [
      { ...reply({ opcode: 0x05, opaque: 1, value: u64(10n) }), cas: true },
      { ...reply({ opcode: 0x05, opaque: 2, value: u64(15n) }), cas: true },
      { ...reply({ opcode: 0x06, opaque: 3, value: u64(0n) }), cas: true },
      { ...reply({ opcode: 0x05, opaque: 4, ...BADVAL }), cas: false },
      { ...reply({ opcode: 0x05, opaque: 5, ...NOT_FOUND }), cas: false },
      { ...reply({ opcode: 0x05, opaque: 7, ...EXISTS }), cas: false },
      { ...reply({ opcode: 0x16, opaque: 8, ...NOT_FOUND }), cas: false },
    ],
  );
  const [hit] = h.send(get('c1'));
  // 15 -> 0 -> 1 kept the two-byte length, space-padded, as memcached's in-place incr/decr.
  t.equal(hit?.value, '1 ', 'values are stored as decimal text');
  const [bumped] = h.send(incr('c1', 1n, 0n, 0, { cas: Number(hit?.cas) }));
  t.equal(bumped?.value, u64(2n), 'increment with the right CAS');
  t.equal(bumped?.cas, h.send(get('c1'))[0]?.cas, 'reply CAS is the item CAS');
  t.strictSame(h.send(incr('big', 1n, 0xffffffffffffffffn, 0), incr('big', 2n, 0n, 0)).map((r) => r.value), [
    u64(0xffffffffffffffffn),
    u64(1n),
  ], 'wraps at 2^64');
});

t.test('increment creates with the given expiration', async (t) => {
  const h = createHarness();
  h.send(incr('ttl', 1n, 7n, 10));
  h.clock.advanceSeconds(11);
  t.strictSame(h.send(get('ttl')), [reply({ opcode: 0x00, ...NOT_FOUND })]);
});

t.test('delete', async (t) => {
  const h = createHarness();
  h.send(set('k2', 'v'), set('k3', 'v'));
  t.strictSame(
    h.send(
      packet({ opcode: 0x04, key: 'k2', opaque: 2 }),
      packet({ opcode: 0x04, key: 'k2', opaque: 3 }),
      packet({ opcode: 0x14, key: 'k3', opaque: 4 }),
      packet({ opcode: 0x14, key: 'k3', opaque: 5 }),
      noop(6),
    ),
    [reply({ opcode: 0x04, opaque: 2 }), reply({ opcode: 0x04, opaque: 3, ...NOT_FOUND }), reply({ opcode: 0x14, opaque: 5, ...NOT_FOUND }), reply({ opcode: 0x0a, opaque: 6 })],
  );
});

t.test('flush, quiet flush, delayed flush and -F', async (t) => {
  const h = createHarness();
  h.send(set('a', '1'));
  t.strictSame(h.send(packet({ opcode: 0x08, opaque: 1 }), packet({ opcode: 0x18, opaque: 2 }), noop(3)), [reply({ opcode: 0x08, opaque: 1 }), reply({ opcode: 0x0a, opaque: 3 })]);
  t.equal(h.send(get('a'))[0]?.status, 1);
  h.send(set('b', '1'));
  t.strictSame(h.send(packet({ opcode: 0x08, extras: u32(10) })), [reply({ opcode: 0x08 })]);
  t.equal(h.send(get('b'))[0]?.status, 0, 'still there before the delay');
  h.clock.advanceSeconds(11);
  t.equal(h.send(get('b'))[0]?.status, 1, 'gone after the delay');
  t.equal(h.ctx.counters.cmdFlush, 3);

  const f = createHarness({ settings: { flushEnabled: false } });
  f.send(set('a', '1'));
  t.strictSame(f.send(packet({ opcode: 0x08, opaque: 4 }), packet({ opcode: 0x18, opaque: 5 })), [
    reply({ opcode: 0x08, opaque: 4, ...AUTH_ERROR }),
    reply({ opcode: 0x18, opaque: 5, ...AUTH_ERROR }),
  ]);
  t.equal(f.send(get('a'))[0]?.status, 0, 'nothing flushed');
  t.notOk(f.session.closed);
});

t.test('noop, version, quit', async (t) => {
  const h = createHarness();
  t.strictSame(h.send(noop(0xffffffff), packet({ opcode: 0x0b, opaque: 0x11223344 })), [
    reply({ opcode: 0x0a, opaque: 0xffffffff }),
    reply({ opcode: 0x0b, opaque: 0x11223344, value: h.ctx.version }),
  ]);
  t.match(h.ctx.version, /^1\.6\.\d+/);
  t.strictSame(h.send(packet({ opcode: 0x07, opaque: 1 })), [reply({ opcode: 0x07, opaque: 1 })]);
  t.ok(h.session.closed, 'Quit closes after the reply');
  const q = createHarness();
  t.strictSame(q.send(packet({ opcode: 0x17 })), [], 'QuitQ says nothing');
  t.ok(q.session.closed);
});

t.test('stats: one packet per stat with the opaque, an empty packet to end', async (t) => {
  const h = createHarness();
  const all = h.send(packet({ opcode: 0x10, opaque: 9 }));
  const last = all[all.length - 1];
  t.strictSame(last, reply({ opcode: 0x10, opaque: 9 }), 'terminator');
  const names = all.slice(0, -1).map((r) => r.key);
  t.ok(names.includes('pid') && names.includes('cmd_get') && names.includes('curr_items'), 'general stats');
  t.ok(all.every((r) => r.opcode === 0x10 && r.opaque === 9 && r.status === 0 && r.extras === ''));
  t.ok(all.slice(0, -1).every((r) => r.key.length > 0 && !r.key.includes(' ')));

  const settings = h.send(packet({ opcode: 0x10, key: 'settings' }));
  t.strictSame(settings.find((r) => r.key === 'maxconns'), reply({ opcode: 0x10, key: 'maxconns', value: '1024' }));
  t.strictSame(h.send(packet({ opcode: 0x10, key: 'sizes' })), [
    reply({ opcode: 0x10, key: 'sizes_status', value: 'disabled' }),
    reply({ opcode: 0x10 }),
  ]);

  h.send(get('x'));
  t.equal(h.ctx.counters.cmdGet, 1);
  t.strictSame(h.send(packet({ opcode: 0x10, key: 'reset', opaque: 1 })), [reply({ opcode: 0x10, opaque: 1 })], 'reset: terminator only');
  t.equal(h.ctx.counters.cmdGet, 0);
  t.strictSame(h.send(packet({ opcode: 0x10, key: 'bogus', opaque: 2 }), noop(3)), [reply({ opcode: 0x10, opaque: 2, ...NOT_FOUND }), reply({ opcode: 0x0a, opaque: 3 })]);
  t.strictSame(h.send(packet({ opcode: 0x10, key: 'detail' })), [reply({ opcode: 0x10, ...NOT_FOUND })]);
  // As memcached's process_bin_stat: on/off answer the terminator, dump one "detailed" stat with the text dump.
  t.strictSame(h.send(packet({ opcode: 0x10, key: 'detail on' })), [reply({ opcode: 0x10 })]);
  h.send(set('pfx:a', 'v'));
  t.strictSame(h.send(packet({ opcode: 0x10, key: 'detail dump', opaque: 4 })), [
    reply({ opcode: 0x10, opaque: 4, key: 'detailed', value: 'PREFIX pfx get 0 hit 0 set 1 del 0\r\nEND\r\n' }),
    reply({ opcode: 0x10, opaque: 4 }),
  ]);
  t.strictSame(h.send(packet({ opcode: 0x10, key: 'detail off' })), [reply({ opcode: 0x10 })]);
});

t.test('values over the item limit', async (t) => {
  const limit = 1024 * 1024;
  const h = createHarness({ itemSizeMax: limit });
  h.send(set('big', 'old'));
  const tooBig = packet({ opcode: 0x01, key: 'big', extras: storeExtras(0, 0), value: Buffer.alloc(limit + 1, 0x78), opaque: 1 });
  // The parser answers (the body is swallowed unread) and the next packet is served.
  t.strictSame(h.send(tooBig, noop(2)), [reply({ opcode: 0x01, opaque: 1, ...TOO_LARGE }), reply({ opcode: 0x0a, opaque: 2 })]);

  h.send(set('app', 'x'.repeat(limit - 1000)));
  t.strictSame(h.send(packet({ opcode: 0x0e, key: 'app', value: 'y'.repeat(2000), opaque: 5 })), [reply({ opcode: 0x0e, opaque: 5, ...NOT_STORED })], 'append past the limit: Not stored.');
  t.equal(h.send(get('app'))[0]?.value.length, limit - 1000, 'original kept');
});

t.test('a set the store refuses drops the old value, as memcached does', async (t) => {
  // The store's limit below the parser's: the value reaches the store, which says too_large.
  const h = createHarness({ itemSizeMax: 1000, parserMaxValue: 4000 });
  h.send(set('k', 'old'), set('a', 'old'));
  const big = 'x'.repeat(2000);
  t.strictSame(h.send(set('k', big, { opaque: 1 }), get('k', 0x00, 2)), [reply({ opcode: 0x01, opaque: 1, ...TOO_LARGE }), reply({ opcode: 0x00, opaque: 2, ...NOT_FOUND })]);
  t.strictSame(h.send(set('a', big, { opcode: 0x02, opaque: 3 })), [reply({ opcode: 0x02, opaque: 3, ...TOO_LARGE })], 'size is checked before existence, as memcached allocates first');
  t.strictSame(h.send(set('a', big, { opcode: 0x03, opaque: 4 })), [reply({ opcode: 0x03, opaque: 4, ...TOO_LARGE })]);
  t.equal(h.send(get('a'))[0]?.value, 'old', 'only set drops the old value');
});

t.test('SASL off: SASL opcodes answer Unknown command and the connection stays', async (t) => {
  const h = createHarness();
  t.strictSame(
    h.send(packet({ opcode: 0x20, opaque: 1 }), packet({ opcode: 0x21, key: 'PLAIN', value: '\0u\0p', opaque: 2 }), packet({ opcode: 0x22, key: 'PLAIN', value: 'x', opaque: 3 }), noop(4)),
    [reply({ opcode: 0x20, opaque: 1, ...UNKNOWN }), reply({ opcode: 0x21, opaque: 2, ...UNKNOWN }), reply({ opcode: 0x22, opaque: 3, ...UNKNOWN }), reply({ opcode: 0x0a, opaque: 4 })],
  );
  t.notOk(h.session.closed);
});

const sasl = () => createSaslVerifierFromUsers(parsePasswordFile('alice:s3cret\n'));
const auth = (data: string, opaque = 0, mechanism = 'PLAIN', opcode = 0x21) => packet({ opcode, key: mechanism, value: data, opaque });

t.test('SASL on: before authenticating only list, auth, step and version are served', async (t) => {
  const h = createHarness({ sasl: sasl() });
  t.strictSame(h.send(packet({ opcode: 0x20, opaque: 1 }), packet({ opcode: 0x0b, opaque: 2 })), [
    reply({ opcode: 0x20, opaque: 1, value: 'PLAIN' }),
    reply({ opcode: 0x0b, opaque: 2, value: h.ctx.version }),
  ]);
  t.notOk(h.session.closed);
  t.strictSame(h.send(noop(3)), [reply({ opcode: 0x0a, opaque: 3, ...AUTH_ERROR })]);
  t.ok(h.session.closed, 'refused command closes the connection');

  for (const p of [get('k'), set('k', 'v'), packet({ opcode: 0x10 }), packet({ opcode: 0x07 }), packet({ opcode: 0x08 })]) {
    const g = createHarness({ sasl: sasl() });
    t.strictSame(g.send(p), [reply({ opcode: p[1] as number, ...AUTH_ERROR })]);
    t.ok(g.session.closed);
  }
});

t.test('SASL on: PLAIN success, failure, counters', async (t) => {
  const h = createHarness({ sasl: sasl(), settings: { verbosity: 1 } });
  t.strictSame(h.send(auth('\0alice\0wrong', 1)), [reply({ opcode: 0x21, opaque: 1, ...AUTH_ERROR })]);
  t.notOk(h.session.closed, 'a failed attempt does not close');
  t.notOk(h.session.authenticated);
  t.strictSame(h.send(auth('\0alice\0s3cret', 2)), [reply({ opcode: 0x21, opaque: 2, value: 'Authenticated' })]);
  t.ok(h.session.authenticated);
  t.strictSame(h.send(set('k', 'v', { opaque: 3 })).map((r) => r.status), [0]);
  t.equal(h.ctx.counters.authCmds, 2);
  t.equal(h.ctx.counters.authErrors, 1);
  t.ok(h.logLines.length > 0 && h.logLines.every((l) => !l.includes('wrong') && !l.includes('s3cret')), 'failures logged at -v, never passwords');
});

t.test('SASL on: unknown mechanism, long mechanism, step flow', async (t) => {
  const h = createHarness({ sasl: sasl() });
  t.strictSame(h.send(auth('\0alice\0s3cret', 1, 'CRAM-MD5')), [reply({ opcode: 0x21, opaque: 1, ...AUTH_ERROR })]);
  t.strictSame(h.send(auth('\0alice\0s3cret', 2, 'P'.repeat(33))), [reply({ opcode: 0x21, opaque: 2, ...EINVAL })]);
  t.strictSame(h.send(auth('\0alice\0s3cret', 3, 'PLAIN', 0x22)), [reply({ opcode: 0x22, opaque: 3, ...AUTH_ERROR })], 'step without a started exchange');
  t.strictSame(h.send(auth('', 4)), [reply({ opcode: 0x21, opaque: 4, status: 0x21 })], 'PLAIN without initial response: continue');
  t.notOk(h.session.authenticated);
  t.strictSame(h.send(auth('\0alice\0s3cret', 5, 'PLAIN', 0x22)), [reply({ opcode: 0x22, opaque: 5, value: 'Authenticated' })]);
  t.ok(h.session.authenticated);
  t.notOk(h.session.closed);
  // Counted: CRAM-MD5, the stray step, the completing step (not EINVAL, not "continue").
  t.equal(h.ctx.counters.authCmds, 3);
  t.equal(h.ctx.counters.authErrors, 2);
});

t.test('SASL on without a verifier (no password file) fails closed', async (t) => {
  const h = createHarness({ settings: { saslEnabled: true } });
  h.session.authenticated = false; // what the connection sets with -S
  t.strictSame(h.send(packet({ opcode: 0x20, opaque: 1 }), auth('\0alice\0s3cret', 2)), [
    reply({ opcode: 0x20, opaque: 1, ...AUTH_ERROR }),
    reply({ opcode: 0x21, opaque: 2, ...AUTH_ERROR }),
  ]);
  t.notOk(h.session.authenticated);
  t.strictSame(h.send(get('k', 0x00, 3)), [reply({ opcode: 0x00, opaque: 3, ...AUTH_ERROR })]);
  t.ok(h.session.closed);
});
