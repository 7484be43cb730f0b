// Small helpers of the server: meta token numbers, refused-set keys, -l
// entries, memcached's slab class numbers for `me`.

import t from 'tap';
import { casNumber, int32Token, parseMetaNumbers, uint32Token, uint64Token } from '../../protocol/meta/tokens.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import { parseBinaryRequest } from '../../protocol/binary/parse.js';
import { DEFAULT_LIMITS, type ParseResult } from '../../protocol/request.js';
import { parseListenEntry } from '../../lib/server/server.js';
import { slabClassFor } from '../../lib/respond/respond-meta.js';
import { storeReply } from '../../lib/respond/respond-text.js';

t.test('meta number tokens use memcached ranges', async (t) => {
  t.equal(int32Token('30'), 30);
  t.equal(int32Token('-1'), -1);
  t.equal(int32Token('+5'), 5);
  t.equal(int32Token('2147483647'), 2147483647);
  t.equal(int32Token('2147483648'), undefined);
  t.equal(int32Token('x'), undefined);
  t.equal(int32Token(true), undefined, 'a flag without its token');
  t.equal(uint32Token('4294967295'), 4294967295);
  t.equal(uint32Token('4294967296'), undefined);
  t.equal(uint32Token('-1'), undefined);
  t.equal(uint64Token('18446744073709551615'), 18446744073709551615n);
  t.equal(uint64Token('18446744073709551616'), undefined);
  t.equal(casNumber(5n), 5);
  t.equal(casNumber(1n << 60n), Number.MAX_SAFE_INTEGER, 'a CAS beyond the store range never matches');

  const nums = parseMetaNumbers(new Map<string, string | true>([['T', '10'], ['N', '20'], ['R', '30'], ['F', '7'], ['C', '99'], ['D', '3'], ['J', '4'], ['v', true]]));
  t.same(nums, { bad: undefined, ttl: 10, vivifyTtl: 20, recacheTtl: 30, clientFlags: 7, cas: 99n, delta: 3n, initial: 4n });
  t.equal(parseMetaNumbers(new Map<string, string | true>([['D', 'x'], ['T', 'y']])).bad, 'D', 'the first bad flag is named');
  t.equal(parseMetaNumbers(new Map<string, string | true>([['F', '-2']])).bad, 'F');
  t.equal(parseMetaNumbers(new Map<string, string | true>([['J', 'q']])).bad, 'J');
  t.equal(parseMetaNumbers(new Map<string, string | true>([['C', 'q']])).bad, 'C');
  t.equal(parseMetaNumbers(new Map<string, string | true>([['N', 'q']])).bad, 'N');
  t.equal(parseMetaNumbers(new Map<string, string | true>([['R', true]])).bad, 'R');
});

t.test('the parsers name the key memcached unlinks when it refuses a set as too large', async (t) => {
  const unlinked = (r: ParseResult): string | undefined => (r.kind === 'swallow' ? r.unlinkKey?.toString('latin1') : 'not swallowed');
  const text = (line: string, offset = 0): ParseResult => parseTextRequest(Buffer.from(line, 'latin1'), offset, DEFAULT_LIMITS);
  t.equal(unlinked(text('xxset mykey 0 0 5000000\r\n', 2)), 'mykey');
  t.equal(unlinked(text('set mykey 0 0 5000000 noreply\r\n')), 'mykey', 'noreply too');
  t.equal(unlinked(text('add mykey 0 0 5000000\r\n')), undefined, 'only set, as memcached');
  t.equal(unlinked(text('ms bWV0YQ== 5000000 T0 b\r\n')), 'meta', 'ms with a base64 key');
  t.equal(unlinked(text('ms plain 5000000 MA\r\n')), 'plain', 'ms in any mode');
  t.equal(unlinked(text('ms plain 5 MX\r\n')), undefined, 'other refusals of ms do not unlink');

  const bin = Buffer.alloc(24 + 8 + 3);
  bin[0] = 0x80;
  bin[1] = 0x01;
  bin.writeUInt16BE(3, 2);
  bin[4] = 8;
  bin.writeUInt32BE(8 + 3 + 5_000_000, 8);
  bin.write('bin', 32);
  t.equal(unlinked(parseBinaryRequest(bin, 0, DEFAULT_LIMITS)), 'bin', 'binary Set');
  bin[1] = 0x11;
  t.equal(unlinked(parseBinaryRequest(bin, 0, DEFAULT_LIMITS)), 'bin', 'binary SetQ');
  bin[1] = 0x02;
  t.equal(unlinked(parseBinaryRequest(bin, 0, DEFAULT_LIMITS)), undefined, 'binary Add is not unlinked');
});

t.test('-l entries', async (t) => {
  t.same(parseListenEntry('127.0.0.1'), { host: '127.0.0.1', port: undefined, noTls: false });
  t.same(parseListenEntry('127.0.0.1:11212'), { host: '127.0.0.1', port: 11212, noTls: false });
  t.same(parseListenEntry('[::1]:11212'), { host: '::1', port: 11212, noTls: false });
  t.same(parseListenEntry('[::1]'), { host: '::1', port: undefined, noTls: false });
  t.same(parseListenEntry('::1'), { host: '::1', port: undefined, noTls: false });
  t.same(parseListenEntry('localhost:x'), { host: 'localhost:x', port: undefined, noTls: false });
  // memcached's prefix for a plain listener under -Z.
  t.same(parseListenEntry('notls:127.0.0.1:11213'), { host: '127.0.0.1', port: 11213, noTls: true });
  t.same(parseListenEntry('notls:[::1]'), { host: '::1', port: undefined, noTls: true });
});

t.test("memcached's slab classes (-n 48, -f 1.25)", async (t) => {
  t.equal(slabClassFor(60), 1);
  t.equal(slabClassFor(96), 1);
  t.equal(slabClassFor(97), 2);
  t.equal(slabClassFor(2062), 15);
});

t.test('store outcomes map to memcached replies', async (t) => {
  t.equal(storeReply('stored', false).toString(), 'STORED\r\n');
  t.equal(storeReply('not_found', false).toString(), 'NOT_FOUND\r\n');
  t.equal(storeReply('not_found', true).toString(), 'NOT_STORED\r\n');
  t.equal(storeReply('too_large', true).toString(), 'NOT_STORED\r\n', 'append past the limit');
  t.equal(storeReply('too_large', false).toString(), 'SERVER_ERROR object too large for cache\r\n');
  t.equal(storeReply('out_of_memory', false).toString(), 'SERVER_ERROR out of memory storing object\r\n');
});
