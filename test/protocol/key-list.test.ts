// KeyList: the keys of a get as a range of the line. Iteration must give
// exactly the keys memcached splits (space byte only), the cursor API the
// same as the iterator, and a 4 MiB line of tiny keys must not turn into
// millions of live objects.

import t from 'tap';
import { KeyList } from '../../protocol/key-list.js';
import { DEFAULT_LIMITS } from '../../protocol/request.js';
import { MAX_GET_LINE_BYTES, parseTextRequest } from '../../protocol/text/parse.js';

/** The keys through the allocation-free cursor API. */
function viaCursor(keys: KeyList): string[] {
  const out: string[] = [];
  for (let s = keys.firstStart(); s < keys.end; ) {
    const e = keys.keyEnd(s);
    out.push(keys.source.toString('latin1', s, e));
    s = keys.nextStart(e);
  }
  return out;
}

t.test('spaced keys split on the space byte only', async (t) => {
  const line = Buffer.from('  a bb\tc   d\r ', 'latin1');
  const keys = KeyList.spaced(line, 0, line.length, 4);
  t.same(keys.toStrings(), ['a', 'bb\tc', 'd\r']);
  t.same(viaCursor(keys), keys.toStrings(), 'cursor and iterator agree');
  t.equal(keys.first()?.toString(), 'a');
  t.equal(keys.length, 4, 'the count is what the parser said');
});

t.test('a range inside a larger buffer stays inside it', async (t) => {
  const buf = Buffer.from('get k1 k2 k3\r\n', 'latin1');
  const keys = KeyList.spaced(buf, 4, 9, 2);
  t.same(keys.toStrings(), ['k1', 'k2']);
  const views = [...keys];
  t.equal(views[0]!.buffer, buf.buffer, 'views, not copies');
});

t.test('an empty range has no keys', async (t) => {
  const keys = KeyList.spaced(Buffer.from('gat 10'), 6, 6, 0);
  t.same([...keys], []);
  t.equal(keys.first(), undefined);
  t.same(KeyList.fromStrings([]).toStrings(), []);
});

t.test('a single key keeps its spaces (binary keys are any bytes)', async (t) => {
  const keys = KeyList.single(Buffer.from(' a b '));
  t.same(keys.toStrings(), [' a b ']);
  t.same(viaCursor(keys), [' a b ']);
  t.equal(keys.length, 1);
  t.equal(keys.first()?.toString(), ' a b ');
});

t.test('fromStrings round-trips text keys', async (t) => {
  t.same(KeyList.fromStrings(['x', 'yy', 'zzz']).toStrings(), ['x', 'yy', 'zzz']);
});

t.test('a 4 MiB get line of 1-byte keys holds no object per key', async (t) => {
  const count = Math.floor((MAX_GET_LINE_BYTES - 8) / 2);
  const line = Buffer.from(`get ${'a '.repeat(count)}\r\n`, 'latin1');
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const result = parseTextRequest(line, 0, DEFAULT_LIMITS);
  const grown = process.memoryUsage().heapUsed - before;
  t.equal(result.kind, 'ok');
  if (result.kind !== 'ok' || result.request.type !== 'get') return;
  t.equal(result.request.keys.length, count, `${count} keys counted`);
  // One Buffer view per key would be ~100 bytes each: ~200 MB here.
  t.ok(grown < 8 * 1024 * 1024, `heap grew ${grown} bytes while the request is alive`);
  let seen = 0;
  for (const key of result.request.keys) if (key.length === 1 && key[0] === 0x61) seen++;
  t.equal(seen, count, 'every key is there when iterated');
});

t.test('rest() copies the keys from a key start on, counted', async (t) => {
  const line = Buffer.from('get aa  bb cc ', 'latin1');
  const keys = KeyList.spaced(line, 4, line.length, 3);
  const s = keys.nextStart(keys.keyEnd(keys.firstStart()));
  const rest = keys.rest(s);
  t.same(rest.toStrings(), ['bb', 'cc']);
  t.equal(rest.length, 2);
  line.fill(0x78);
  t.same(rest.toStrings(), ['bb', 'cc'], 'outlives the source');
  t.equal(keys.rest(keys.end).length, 0);
});
