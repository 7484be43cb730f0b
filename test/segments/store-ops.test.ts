// The CacheStore contract with memcached 1.6 semantics: storage modes, CAS,
// incr/decr, touch, gat, delete, flush_all, sizes, meta bits and counters.

import t from 'tap';
import { ITEM_FETCHED, ITEM_STALE, ITEM_WIN_SENT } from '../../segments/types.js';
import { createStore } from '../../segments/index.js';
import { b, casOf, getString, makeStore } from './helpers.js';

t.test('set then get returns value, flags and a nonzero CAS', async (t) => {
  const { store } = makeStore();
  t.equal(store.store('set', b('foo'), b('bar'), 0xffffffff, 0, 0), 'stored');
  const ref = store.get(b('foo'));
  t.ok(ref >= 0);
  t.equal(store.itemValue(ref).toString(), 'bar');
  t.equal(store.itemValueLength(ref), 3);
  t.equal(store.itemFlags(ref), 0xffffffff);
  t.equal(store.itemKey(ref).toString(), 'foo');
  t.ok(store.itemCas(ref) > 0);
  t.equal(store.itemCas(ref), store.lastCas);
  const target = Buffer.alloc(6, '-');
  t.equal(store.copyValue(ref, target, 2), 3);
  t.equal(target.toString(), '--bar-');
  t.equal(store.get(b('nope')), -1);
  t.equal(store.counters.getHits, 1);
  t.equal(store.counters.getMisses, 1);
  t.equal(store.counters.items, 1);
  t.equal(store.counters.totalItems, 1);
});

t.test('empty values, overwrites and byte counts', async (t) => {
  const { store } = makeStore();
  t.equal(store.store('set', b('k'), b(''), 0, 0, 0), 'stored');
  t.equal(getString(store, 'k'), '');
  t.equal(store.counters.bytes, 16, '8-byte header + 1-byte key, padded');
  t.equal(store.store('set', b('k'), b('x'.repeat(50)), 0, 0, 0), 'stored');
  t.equal(getString(store, 'k'), 'x'.repeat(50));
  t.equal(store.counters.items, 1);
  t.equal(store.counters.bytes, 64, '8 + 1 + 50 = 59, padded to 64');
  t.equal(store.counters.totalItems, 2);
});

t.test('a 14-byte key and 50-byte value with flags 0 and no expiry take 72 bytes', async (t) => {
  const { store } = makeStore();
  store.store('set', b('key:0000000001'), Buffer.alloc(50, 1), 0, 0, 0);
  t.equal(store.counters.bytes, 72);
  store.store('set', b('key:0000000002'), Buffer.alloc(50, 1), 7, 100, 0);
  t.equal(store.counters.bytes, 72 + 80, 'flags and deadline add 8 bytes');
});

t.test('keys from 1 to 250 bytes', async (t) => {
  const { store } = makeStore();
  t.equal(store.store('set', b('k'.repeat(250)), b('v'), 0, 0, 0), 'stored');
  t.equal(getString(store, 'k'.repeat(250)), 'v');
  t.equal(store.store('set', b('k'.repeat(251)), b('v'), 0, 0, 0), 'not_stored');
  t.equal(store.store('set', b(''), b('v'), 0, 0, 0), 'not_stored');
  t.equal(store.get(b('k'.repeat(251))), -1);
});

t.test('add, replace', async (t) => {
  const { store, clock } = makeStore();
  t.equal(store.store('replace', b('a'), b('1'), 0, 0, 0), 'not_stored');
  t.equal(store.store('add', b('a'), b('1'), 0, 2, 0), 'stored');
  t.equal(store.store('add', b('a'), b('2'), 0, 0, 0), 'not_stored');
  t.equal(getString(store, 'a'), '1');
  t.equal(store.store('replace', b('a'), b('3'), 4, 0, 0), 'stored');
  t.equal(getString(store, 'a'), '3');
  t.equal(store.itemFlags(store.peek(b('a'))), 4);
  // t/expirations.t: add fails while the first copy lives, succeeds after it expired.
  store.store('set', b('e'), b('1'), 0, 2, 0);
  t.equal(store.store('add', b('e'), b('2'), 0, 0, 0), 'not_stored');
  clock.advance(2);
  t.equal(store.store('add', b('e'), b('2'), 0, 0, 0), 'stored');
  t.equal(getString(store, 'e'), '2');
});

t.test('append and prepend keep flags and exptime, change the CAS', async (t) => {
  const { store, clock } = makeStore();
  t.equal(store.store('append', b('x'), b('1'), 0, 0, 0), 'not_stored');
  t.equal(store.store('prepend', b('x'), b('1'), 0, 0, 0), 'not_stored');
  store.store('set', b('x'), b('mid'), 7, 10, 0);
  const cas1 = casOf(store, 'x');
  t.equal(store.store('append', b('x'), b('-end'), 9, 0, 0), 'stored');
  const cas2 = casOf(store, 'x');
  t.not(cas2, cas1);
  t.equal(store.lastCas, cas2);
  t.equal(store.store('prepend', b('x'), b('start-'), 9, 0, 0), 'stored');
  t.equal(getString(store, 'x'), 'start-mid-end');
  t.equal(store.itemFlags(store.peek(b('x'))), 7);
  t.equal(store.itemTtlRemaining(store.peek(b('x'))), 10);
  clock.advance(10);
  t.equal(getString(store, 'x'), undefined, 'the original exptime still applies');
});

t.test('append over the item size limit is not stored', async (t) => {
  // memcached's item under -I 1000 and key 'big': 48 + 3 + 1 + value + 2 + 8 (CAS), so 938 bytes of value.
  const { store } = makeStore({ itemSizeMax: 1000 });
  store.store('set', b('big'), Buffer.alloc(930, 97), 0, 0, 0);
  t.equal(store.store('append', b('big'), Buffer.alloc(8, 98), 0, 0, 0), 'stored');
  t.equal(store.store('append', b('big'), Buffer.alloc(1, 98), 0, 0, 0), 'not_stored');
  t.equal(store.itemValueLength(store.peek(b('big'))), 938);
  // The joined item keeps the old item's flags, and nonzero flags count 4 bytes.
  // Key 'flagged' with flags: 48 + 7 + 1 + 4 + value + 2 + 8, so 930 bytes of value.
  store.store('set', b('flagged'), Buffer.alloc(920, 97), 1, 0, 0);
  t.equal(store.store('append', b('flagged'), Buffer.alloc(11, 98), 0, 0, 0), 'not_stored', 'one byte over, counting the old flags');
  t.equal(store.store('append', b('flagged'), Buffer.alloc(10, 98), 0, 0, 0), 'stored');
});

t.test('values too large: memcached counts its item header, key, flags, CRLF and CAS against -I', async (t) => {
  const { store } = makeStore({ itemSizeMax: 1000 });
  // 48 + 1 + 1 + value + 2 + 8 = 1000 at a 940-byte value under key 'v'.
  t.equal(store.store('set', b('v'), Buffer.alloc(941), 0, 0, 0), 'too_large');
  t.equal(store.counters.storeTooLarge, 1);
  t.equal(store.store('set', b('v'), Buffer.alloc(940), 0, 0, 0), 'stored');
  t.equal(store.store('set', b('v'), Buffer.alloc(940), 5, 0, 0), 'too_large', 'nonzero flags take 4 bytes more');
  t.equal(store.store('set', b('v'), Buffer.alloc(936), 5, 0, 0), 'stored');
  const noCas = makeStore({ itemSizeMax: 1000, casEnabled: false }).store;
  t.equal(noCas.store('set', b('v'), Buffer.alloc(948), 0, 0, 0), 'stored', 'with -C the 8 bytes of CAS do not count');
  t.equal(noCas.store('set', b('v'), Buffer.alloc(949), 0, 0, 0), 'too_large');
  const tiny = makeStore({ itemSizeMax: 1 << 20, segmentSize: 4096 }).store;
  t.equal(tiny.store('set', b('v'), Buffer.alloc(4096 - 24), 0, 0, 0), 'too_large', 'larger than a segment with every optional field');
  t.equal(tiny.store('set', b('v'), Buffer.alloc(4096 - 25), 0, 0, 0), 'stored');
});

t.test('under the default sizes every value memcached stores at -I 1m stores, and a touch may still add fields', async (t) => {
  const store = createStore({ memoryLimitBytes: 8 << 20, itemSizeMax: 1 << 20, hashSeed: 1 });
  t.equal(store.shape().segmentsTotal, 8, '-m 8: eight segments of -I bytes');
  t.ok(store.shape().segmentsTotal * store.options.segmentSize <= 8 << 20);
  const key = b('k'.repeat(250));
  // memcached 1.6.18 -I 1m stores at most 1048263 bytes under a 250-byte key
  // with nonzero flags (48-byte header, key + NUL, flags, CRLF and CAS count
  // against -I; measured), 1048267 with flags 0.
  t.equal(store.store('set', key, Buffer.alloc(1048264, 0x61), 0xdeadbeef, 0, 0), 'too_large');
  t.equal(store.store('set', key, Buffer.alloc(1048268, 0x61), 0, 0, 0), 'too_large');
  t.equal(store.store('set', key, Buffer.alloc(1048267, 0x61), 0, 0, 0), 'stored');
  const largest = Buffer.alloc(1048263, 0x61);
  t.equal(store.store('set', key, largest, 0xdeadbeef, 0, 0), 'stored');
  t.equal(store.touch(key, 1000), 'touched', 'a deadline and a kept CAS added by copying still fit a segment');
  const ref = store.get(key);
  t.ok(store.itemValue(ref).equals(largest));
  t.equal(store.itemFlags(ref), 0xdeadbeef);
  t.equal(store.store('set', key, Buffer.alloc(1 << 20), 0, 0, 0), 'too_large', 'a 1 MiB value: memcached refuses it too');
  t.equal(store.store('set', b('k'), Buffer.alloc((1 << 20) - 59), 0, 0, 0), 'too_large', 'one byte past memcached\'s item under a 1-byte key');
  t.equal(store.store('set', b('k'), Buffer.alloc((1 << 20) - 60), 0, 0, 0), 'stored');
  t.equal(store.store('append', b('k'), b('x'), 0, 0, 0), 'not_stored', 'an append past the limit');
});

t.test('cas: not_found, exists, stored, and the counters', async (t) => {
  const { store } = makeStore();
  t.equal(store.store('cas', b('c'), b('1'), 0, 0, 1), 'not_found');
  t.equal(store.counters.casMisses, 1);
  store.store('set', b('c'), b('1'), 0, 0, 0);
  const token = casOf(store, 'c');
  t.equal(store.store('cas', b('c'), b('2'), 0, 0, token + 1), 'exists');
  t.equal(store.counters.casBadval, 1);
  t.equal(store.store('cas', b('c'), b('2'), 3, 0, token), 'stored');
  t.equal(store.counters.casHits, 1);
  t.equal(getString(store, 'c'), '2');
  t.equal(store.store('cas', b('c'), b('3'), 0, 0, token), 'exists', 'a used token is stale');
  t.equal(store.store('cas', b('c'), b('3'), 0, 0, 0), 'exists', 'cas 0 never matches');
});

t.test('cas: set of the same key invalidates, set of another key does not', async (t) => {
  const { store } = makeStore();
  store.store('set', b('a'), b('1'), 0, 0, 0);
  store.store('set', b('b'), b('1'), 0, 0, 0);
  const ta = casOf(store, 'a');
  const tb = casOf(store, 'b');
  t.not(ta, tb);
  store.store('set', b('a'), b('1'), 0, 0, 0);
  t.equal(store.store('cas', b('a'), b('x'), 0, 0, ta), 'exists');
  for (let i = 0; i < 100; i++) store.store('set', b(`other${i}`), b('v'), 0, 0, 0);
  t.equal(store.store('cas', b('b'), b('x'), 0, 0, tb), 'stored');
});

t.test('cas: delete or expiry then re-add, the old token is refused', async (t) => {
  const { store, clock } = makeStore();
  store.store('set', b('d'), b('1'), 0, 0, 0);
  const t1 = casOf(store, 'd');
  store.delete(b('d'), 0);
  store.store('add', b('d'), b('1'), 0, 0, 0);
  t.equal(store.store('cas', b('d'), b('2'), 0, 0, t1), 'exists');
  store.store('set', b('e'), b('1'), 0, 1, 0);
  const t2 = casOf(store, 'e');
  clock.advance(1);
  store.expireNow();
  store.store('add', b('e'), b('1'), 0, 0, 0);
  t.equal(store.store('cas', b('e'), b('2'), 0, 0, t2), 'exists');
});

t.test('cas: two writers holding one token, only one wins', async (t) => {
  const { store } = makeStore();
  store.store('set', b('w'), b('0'), 0, 0, 0);
  const token = casOf(store, 'w');
  t.equal(store.store('cas', b('w'), b('A'), 0, 0, token), 'stored');
  t.equal(store.store('cas', b('w'), b('B'), 0, 0, token), 'exists');
  t.equal(getString(store, 'w'), 'A');
});

t.test('binary semantics: a nonzero cas on set/replace/append/delete compares first', async (t) => {
  const { store } = makeStore();
  t.equal(store.store('set', b('s'), b('1'), 0, 0, 99), 'not_found');
  store.store('set', b('s'), b('1'), 0, 0, 0);
  const token = casOf(store, 's');
  t.equal(store.store('set', b('s'), b('2'), 0, 0, token + 1), 'exists');
  t.equal(store.store('replace', b('s'), b('2'), 0, 0, token + 1), 'exists');
  t.equal(store.store('append', b('s'), b('2'), 0, 0, token + 1), 'exists');
  t.equal(store.store('replace', b('s'), b('2'), 0, 0, token), 'stored');
  const t2 = casOf(store, 's');
  t.equal(store.store('append', b('s'), b('3'), 0, 0, t2), 'stored');
  t.equal(getString(store, 's'), '23');
  t.equal(store.store('add', b('s'), b('x'), 0, 0, 5), 'not_stored');
  t.equal(store.delete(b('s'), 12345), 'exists');
  t.equal(store.delete(b('s'), casOf(store, 's')), 'deleted');
  t.equal(store.delete(b('s'), 0), 'not_found');
  t.equal(store.counters.deleteHits, 1);
  t.equal(store.counters.deleteMisses, 1);
});

t.test('casEnabled=false: tokens are 0 and cas answers exists', async (t) => {
  const { store } = makeStore({ casEnabled: false });
  store.store('set', b('n'), b('1'), 0, 0, 0);
  const ref = store.get(b('n'));
  t.equal(store.itemCas(ref), 0);
  t.equal(store.lastCas, 0);
  t.equal(store.store('cas', b('n'), b('2'), 0, 0, 0), 'exists');
  t.equal(store.store('cas', b('n'), b('2'), 0, 0, 1), 'exists');
  t.equal(store.store('cas', b('missing'), b('2'), 0, 0, 1), 'not_found');
  t.equal(store.options.casEnabled, false);
});

t.test('casEnabled=false: a set in the second of a flush_all is flushed too (memcached -C, t/flush-all.t)', async (t) => {
  const { store, clock } = makeStore({ casEnabled: false });
  store.store('set', b('old'), b('1'), 0, 0, 0);
  store.flushAll(0);
  t.equal(getString(store, 'old'), undefined, 'flushed');
  t.equal(store.store('set', b('same'), b('2'), 0, 0, 0), 'stored', 'answered STORED');
  t.equal(getString(store, 'same'), undefined, 'but flushed in its second');
  t.equal(store.store('add', b('same'), b('3'), 0, 0, 0), 'stored', 'add finds nothing');
  clock.advance(1);
  t.equal(store.store('set', b('next'), b('4'), 0, 0, 0), 'stored');
  t.equal(getString(store, 'next'), '4', 'the next second keeps its sets');
  // A delayed flush covers its own second too; without CAS memcached's
  // `flush_all 3` takes effect three seconds on (with CAS, two).
  store.flushAll(3);
  clock.advance(1);
  t.equal(getString(store, 'next'), '4', 'before the delayed flush');
  clock.advance(1);
  t.equal(getString(store, 'next'), '4', 'still before it: -C has no second taken off');
  clock.advance(1);
  store.store('set', b('then'), b('5'), 0, 0, 0);
  t.equal(getString(store, 'next'), undefined, 'delayed flush applied');
  t.equal(getString(store, 'then'), undefined, 'a set in its second is flushed');

  // With CAS the cliff is exact: a set right after flush_all stays.
  const withCas = makeStore().store;
  withCas.flushAll(0);
  withCas.store('set', b('same'), b('2'), 0, 0, 0);
  t.equal(getString(withCas, 'same'), '2');
});

t.test('CAS after set, incr, touch and append (memcached order: new, new, kept, new)', async (t) => {
  for (const exptime of [0, 1000]) {
    const { store } = makeStore();
    store.store('set', b('n'), b('1'), 0, exptime, 0);
    const c1 = casOf(store, 'n');
    t.equal(store.arith(b('n'), true, 1n, undefined, 0, 0), 'ok');
    const c2 = casOf(store, 'n');
    t.not(c2, c1);
    t.equal(store.lastCas, c2);
    t.equal(store.touch(b('n'), 500), 'touched');
    t.equal(casOf(store, 'n'), c2, `touch keeps the CAS (exptime ${exptime})`);
    t.equal(store.itemTtlRemaining(store.peek(b('n'))), 500);
    t.equal(store.touch(b('n'), 0), 'touched');
    t.equal(casOf(store, 'n'), c2, 'touch to never keeps the CAS');
    t.equal(store.itemTtlRemaining(store.peek(b('n'))), -1);
    store.store('append', b('n'), b('0'), 0, 0, 0);
    t.not(casOf(store, 'n'), c2);
    t.equal(getString(store, 'n'), '20');
    t.equal(store.store('cas', b('n'), b('x'), 0, 0, casOf(store, 'n')), 'stored');
  }
});

t.test('incr and decr', async (t) => {
  const { store } = makeStore();
  const arith = (key: string, incr: boolean, delta: bigint) => {
    const status = store.arith(b(key), incr, delta, undefined, 0, 0);
    return status === 'ok' ? store.lastArithValue : status;
  };
  t.equal(arith('none', true, 1n), 'not_found');
  t.equal(arith('none', false, 1n), 'not_found');
  t.equal(store.counters.incrMisses, 1);
  t.equal(store.counters.decrMisses, 1);
  store.store('set', b('n'), b('100'), 5, 0, 0);
  t.equal(arith('n', false, 1n), 99n);
  // A result shorter than the stored digits keeps their width, space-padded (memcached's in-place incr/decr).
  t.equal(getString(store, 'n'), '99 ', 'shorter result padded with spaces');
  t.equal(arith('n', false, 1000n), 0n, 'decr floors at 0');
  store.store('set', b('n'), b('18446744073709551615'), 0, 0, 0);
  t.equal(arith('n', true, 1n), 0n, 'incr wraps at 2^64');
  t.equal(getString(store, 'n'), '0'.padEnd(20, ' '));
  store.store('set', b('n'), b('007'), 0, 0, 0);
  t.equal(arith('n', true, 1n), 8n);
  t.equal(getString(store, 'n'), '8  ');
  t.equal(store.itemFlags(store.peek(b('n'))), 0);
  t.equal(store.counters.incrHits, 2);
  t.equal(store.counters.decrHits, 2);
  for (const [text, expect] of [
    [' 12', 13n],
    ['12 ', 13n],
    ['+12', 13n],
    ['12 34', 13n],
    ['-0', 1n],
    [' ', 'non_numeric'], // whitespace only: memcached's strtoull finds no digits
    ['-12', 'non_numeric'],
    ['18446744073709551616', 'non_numeric'],
    ['12a', 'non_numeric'],
    ['abc', 'non_numeric'],
    ['', 'non_numeric'],
    ['+', 'non_numeric'],
  ] as const) {
    store.store('set', b('p'), b(text), 0, 0, 0);
    t.equal(arith('p', true, 1n), expect, JSON.stringify(text));
  }
});

t.test('incr keeps flags and exptime; cas compare; binary initial', async (t) => {
  const { store, clock } = makeStore();
  store.store('set', b('n'), b('1'), 42, 100, 0);
  t.equal(store.arith(b('n'), true, 5n, undefined, 0, 0), 'ok');
  const ref = store.peek(b('n'));
  t.equal(store.itemFlags(ref), 42);
  t.equal(store.itemTtlRemaining(ref), 100);
  t.equal(store.arith(b('n'), true, 1n, undefined, 0, store.itemCas(ref) + 1), 'exists');
  t.equal(store.arith(b('n'), true, 1n, undefined, 0, store.itemCas(ref)), 'ok');
  t.equal(store.lastArithValue, 7n);
  t.equal(store.arith(b('created'), true, 5n, 10n, 30, 0), 'ok');
  t.equal(store.lastArithValue, 10n, 'created with the initial value, delta not applied');
  t.equal(getString(store, 'created'), '10');
  t.equal(store.itemTtlRemaining(store.peek(b('created'))), 30);
  t.equal(store.counters.incrMisses, 1, 'creating counts a miss, as memcached');
  clock.advance(30);
  t.equal(getString(store, 'created'), undefined);
  t.equal(store.counters.totalItems, 4);
});

t.test('touch and get-and-touch', async (t) => {
  const { store, clock } = makeStore();
  t.equal(store.touch(b('t'), 10), 'not_found');
  t.equal(store.getAndTouch(b('t'), 10), -1);
  t.equal(store.counters.touchMisses, 2);
  store.store('set', b('t'), b('v'), 0, 2, 0);
  t.equal(store.touch(b('t'), 10), 'touched');
  clock.advance(5);
  t.equal(getString(store, 't'), 'v', 'touch extended the life');
  const ref = store.getAndTouch(b('t'), 3);
  t.equal(store.itemValue(ref).toString(), 'v');
  t.equal(store.counters.touchHits, 2);
  clock.advance(3);
  t.equal(getString(store, 't'), undefined);
  store.store('set', b('g'), b('v'), 0, 0, 0);
  const g = store.getAndTouch(b('g'), -1);
  t.equal(store.itemValue(g).toString(), 'v', 'gat with a past exptime still returns the value');
  t.equal(store.peek(b('g')), -1, 'and then it is gone');
  store.store('set', b('h'), b('v'), 0, 0, 0);
  t.equal(store.touch(b('h'), -1), 'touched');
  t.equal(store.peek(b('h')), -1);
});

t.test('exact expiry: hits up to the deadline second, never at or after', async (t) => {
  const { store, clock } = makeStore();
  clock.ms += 999; // late in a second: rounding must not shorten or lengthen a life
  store.store('set', b('r'), b('v'), 0, 3, 0);
  t.equal(store.itemTtlRemaining(store.peek(b('r'))), 3);
  clock.advance(1);
  t.equal(getString(store, 'r'), 'v');
  clock.advance(1);
  t.equal(getString(store, 'r'), 'v', 'one millisecond before the deadline second');
  clock.ms += 1;
  t.equal(getString(store, 'r'), undefined, 'whole seconds, as memcached: 2.001 s after a set late in a second');
  t.equal(store.counters.getExpired, 1);
  t.equal(store.counters.expiredReclaimed, 1);
  t.equal(store.counters.items, 0);
  t.equal(store.counters.bytes, 0);
});

t.test('a set with an exptime already past stores an expired item: the get counts get_expired (t/stats.t)', async (t) => {
  const { store } = makeStore();
  store.store('set', b('old'), b('value'), 0, 0, 0);
  // 31 days in seconds is an absolute unix time in 1970, as memcached reads it.
  t.equal(store.store('set', b('old'), b('fooval'), 0, 2678400, 0), 'stored');
  t.equal(store.store('set', b('neg'), b('fooval'), 0, -1, 0), 'stored');
  t.equal(store.counters.items, 2, 'both held until something meets them, as memcached holds them');
  t.equal(getString(store, 'old'), undefined, 'the old value was replaced');
  t.equal(getString(store, 'neg'), undefined);
  t.equal(store.counters.getExpired, 2, 'each get met an expired item');
  t.equal(store.counters.getMisses, 2);
  t.equal(store.counters.items, 0, 'and unlinked it');
  t.equal(store.counters.bytes, 0);
});

t.test('an item stored already expired waits for its get in that second: the sweep frees it from the next one', async (t) => {
  const { store, clock } = makeStore();
  t.equal(store.store('set', b('should_expire'), b('fooval'), 0, 2678400, 0), 'stored');
  store.housekeep();
  t.equal(store.counters.items, 1, 'a sweep in the same second leaves it');
  t.equal(getString(store, 'should_expire'), undefined);
  t.equal(store.counters.getExpired, 1, 'so the get meets it expired, as memcached counts it');
  t.equal(store.store('set', b('gone'), b('fooval'), 0, -1, 0), 'stored');
  clock.advance(1);
  store.housekeep();
  t.equal(store.counters.items, 0, 'the next second the sweep frees it');
  t.equal(store.counters.crawlerReclaimed, 1);
});

t.test('exptime rules: 0 never, negative expired, > 30 days absolute', async (t) => {
  const { store, clock } = makeStore();
  const now = clock.seconds;
  store.store('set', b('never'), b('v'), 0, 0, 0);
  store.store('set', b('old'), b('v'), 0, 0, 0);
  t.equal(store.store('set', b('old'), b('new'), 0, -1, 0), 'stored');
  t.equal(store.peek(b('old')), -1, 'negative exptime: stored, old value gone, misses');
  t.equal(store.store('set', b('past'), b('v'), 0, now - 1, 0), 'stored');
  t.equal(store.peek(b('past')), -1, 'absolute time in the past');
  store.store('set', b('abs'), b('v'), 0, now + 4, 0);
  store.store('set', b('rel30d'), b('v'), 0, 2592000, 0);
  t.equal(store.itemTtlRemaining(store.peek(b('rel30d'))), 2592000);
  t.equal(store.itemTtlRemaining(store.peek(b('abs'))), 4);
  clock.advance(4);
  t.equal(store.peek(b('abs')), -1);
  clock.advance(10_000_000);
  t.ok(store.peek(b('never')) >= 0);
  t.equal(store.counters.items, 2, 'expired items count until reclaimed');
  store.expireNow();
  t.equal(store.counters.items, 1);
});

t.test('flush_all now and with a delay', async (t) => {
  const { store, clock } = makeStore();
  store.store('set', b('a'), b('1'), 0, 0, 0);
  store.flushAll(0);
  t.equal(store.get(b('a')), -1);
  t.equal(store.counters.items, 0);
  t.equal(store.counters.bytes, 0);
  store.store('set', b('b'), b('1'), 0, 0, 0);
  t.equal(getString(store, 'b'), '1', 'stored after the flush: stays');

  store.flushAll(2); // takes effect one second before now + 2, as memcached
  t.equal(getString(store, 'b'), '1');
  clock.advance(0.5);
  store.store('set', b('c'), b('1'), 0, 0, 0);
  clock.advance(0.5);
  t.equal(store.store('set', b('d'), b('1'), 0, 0, 0), 'stored');
  t.equal(getString(store, 'b'), undefined, 'older item gone one second later');
  t.equal(getString(store, 'c'), undefined);
  t.equal(getString(store, 'd'), undefined, 'stored in the flush second: flushed too (memcached: item time <= oldest_live)');
  clock.advance(1);
  store.store('set', b('d'), b('1'), 0, 0, 0);
  t.equal(getString(store, 'd'), '1', 'stored the second after: stays');
  clock.advance(5);
  t.equal(getString(store, 'd'), '1', 'a delayed flush happens once');

  store.flushAll(1); // the second before now + 1: this one, so the rest of it is flushed too
  t.equal(getString(store, 'd'), undefined, 'flush_all 1: at once');
  store.store('set', b('d'), b('1'), 0, 0, 0);
  t.equal(getString(store, 'd'), undefined, 'and a set in the rest of its second is flushed');
  clock.advance(1);
  store.store('set', b('d'), b('1'), 0, 0, 0);
  t.equal(getString(store, 'd'), '1', 'the next second keeps its sets');

  store.flushAll(clock.seconds + 3); // absolute unix time
  store.store('set', b('e'), b('1'), 0, 0, 0);
  clock.advance(1);
  t.equal(getString(store, 'e'), '1');
  clock.advance(1);
  store.expireNow();
  t.equal(store.counters.items, 0, 'the timer applies a due flush');

  store.store('set', b('f'), b('1'), 0, 0, 0);
  store.flushAll(100);
  store.flushAll(-1);
  t.equal(getString(store, 'f'), undefined, 'a negative delay flushes at once and replaces the pending one');
  store.store('set', b('g'), b('1'), 0, 0, 0);
  clock.advance(200);
  t.equal(getString(store, 'g'), '1');
});

t.test('meta bits and last access', async (t) => {
  const { store, clock } = makeStore();
  store.store('set', b('m'), b('v'), 0, 0, 0);
  let ref = store.peek(b('m'));
  t.equal(store.itemBits(ref), 0);
  clock.advance(7);
  t.equal(store.itemLastAccess(ref), 7);
  ref = store.get(b('m'));
  t.equal(store.itemBits(ref), ITEM_FETCHED, 'a get marks the item fetched');
  t.equal(store.itemLastAccess(ref), 0);
  const cas = store.itemCas(ref);
  store.setItemBits(ref, ITEM_FETCHED | ITEM_STALE | ITEM_WIN_SENT);
  t.equal(store.itemBits(store.peek(b('m'))), 7);
  t.equal(store.itemCas(store.peek(b('m'))), cas, 'bits do not change the CAS');
  store.setItemBits(ref, ITEM_STALE);
  t.equal(store.itemBits(store.peek(b('m'))), ITEM_STALE);
  t.equal(getString(store, 'm'), 'v');
  t.equal(store.itemFlags(store.peek(b('m'))), 0);
});

t.test('resetCounters keeps items and bytes', async (t) => {
  const { store } = makeStore();
  store.store('set', b('a'), b('1'), 0, 0, 0);
  store.get(b('a'));
  store.get(b('z'));
  store.resetCounters();
  t.equal(store.counters.getHits, 0);
  t.equal(store.counters.getMisses, 0);
  t.equal(store.counters.totalItems, 0);
  t.equal(store.counters.items, 1);
  t.equal(store.counters.bytes, 16);
});

t.test('shape reports segments, hash and TTL buckets', async (t) => {
  const { store } = makeStore({ segmentSize: 64 * 1024 });
  store.store('set', b('a'), b('1'), 0, 0, 0);
  store.store('set', b('b'), b('1'), 0, 5, 0);
  const shape = store.shape();
  t.equal(shape.segmentSize, 64 * 1024);
  t.equal(shape.segmentsTotal, 128);
  t.equal(shape.segmentsFree, 126);
  t.same(shape.ttlBucketSegments, [
    [0, 1],
    [1024, 1],
  ]);
  t.ok(shape.hashBytes > 0);
  t.equal(shape.hashLoad, 2 / 2 ** shape.hashPower);
  t.equal(shape.hashIsExpanding, false);
});

t.test('eviction none answers out_of_memory', async (t) => {
  const { store } = makeStore({ memoryLimitBytes: 4 * 4096, segmentSize: 4096, evictionPolicy: 'none' });
  let i = 0;
  while (store.store('set', b(`k${i}`), Buffer.alloc(500), 0, 0, 0) === 'stored') i++;
  t.equal(store.store('set', b(`k${i}`), Buffer.alloc(500), 0, 0, 0), 'out_of_memory');
  t.ok(store.counters.storeNoMemory >= 1);
  t.equal(store.counters.evictions, 0);
  t.equal(getString(store, 'k0'), '\0'.repeat(500));
  t.equal(store.delete(b('k0'), 0), 'deleted');
  t.equal(store.arith(b('k0'), true, 1n, 5n, 0, 0), 'out_of_memory', 'the heap is still full until a segment empties');
});
