// memcached's -I applies to the whole item (segments/item-limit.ts): the
// parsers refuse a value by the item it would make, from the command line or
// the binary header and extras alone, before the value arrives. The figures
// are memcached 1.6.18's, measured at -I 1m: the largest value it stores is
// 1048516 bytes under a 1-byte key with flags 0, 4 bytes less with nonzero
// flags, 1 byte less per key byte, 8 bytes more with -C.

import t from 'tap';
import { memcachedItemBytes, memcachedValueMax } from '../../segments/item-limit.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import { parseBinaryRequest } from '../../protocol/binary/parse.js';
import { DEFAULT_LIMITS, type ParserLimits, type ParseResult } from '../../protocol/request.js';
import { packet, storeExtras } from '../binary/packets.js';

const MIB = 1024 * 1024;
const NO_CAS: ParserLimits = { ...DEFAULT_LIMITS, casEnabled: false };

/** 'swallow' when refused as too large, 'incomplete' when the parser waits for the value. */
function verdict(r: ParseResult): string {
  if (r.kind === 'swallow') return r.tooLarge === true || r.reply.includes('Too large') ? 'too large' : `swallow ${r.reply.toString('latin1')}`;
  return r.kind;
}

const text = (line: string, limits: ParserLimits = DEFAULT_LIMITS): string => verdict(parseTextRequest(Buffer.from(line), 0, limits));

t.test('the item size memcached counts against -I', async (t) => {
  t.equal(memcachedValueMax(1, 0, MIB, true), 1048516);
  t.equal(memcachedValueMax(1, 7, MIB, true), 1048512);
  t.equal(memcachedValueMax(4, 0, MIB, true), 1048513);
  t.equal(memcachedValueMax(250, 0, MIB, true), 1048267);
  t.equal(memcachedValueMax(1, 0, MIB, false), 1048524, '-C: no CAS field');
  t.equal(memcachedItemBytes(1, 0, 1048516, true), MIB);
});

t.test('text storage commands: refused from the line, by key length and flags', async (t) => {
  t.equal(text('set k 0 0 1048516\r\n'), 'incomplete', 'the largest value under a 1-byte key: waits for it');
  t.equal(text('set k 0 0 1048517\r\n'), 'too large');
  t.equal(text('set k 7 0 1048512\r\n'), 'incomplete');
  t.equal(text('set k 7 0 1048513\r\n'), 'too large', 'nonzero flags count 4 bytes');
  t.equal(text('set kkkk 0 0 1048514\r\n'), 'too large', 'a longer key leaves less room');
  t.equal(text('append k 0 0 1048517\r\n'), 'too large', 'append data is an item of its own first');
  t.equal(text('cas k 0 0 1048517 1\r\n'), 'too large');
  t.equal(text('set k 0 0 1048524\r\n', NO_CAS), 'incomplete', '-C');
  t.equal(text('set k 0 0 1048525\r\n', NO_CAS), 'too large');
});

t.test('meta ms: the same, with F flags and a base64 key counted decoded', async (t) => {
  t.equal(text('ms k 1048516\r\n'), 'incomplete');
  t.equal(text('ms k 1048517\r\n'), 'too large');
  t.equal(text('ms k 1048512 F7\r\n'), 'incomplete');
  t.equal(text('ms k 1048513 F7\r\n'), 'too large');
  // 'a2s=' is the 2-byte key 'kk'.
  t.equal(text('ms a2s= 1048515 b\r\n'), 'incomplete');
  t.equal(text('ms a2s= 1048516 b\r\n'), 'too large');
});

t.test('binary Set and Append: refused from the header, extras and key', async (t) => {
  const set = (flags: number, valueLength: number, limits: ParserLimits = DEFAULT_LIMITS): string =>
    verdict(parseBinaryRequest(packet({ opcode: 0x01, key: 'k', extras: storeExtras(flags, 0), bodyLen: 8 + 1 + valueLength }), 0, limits));
  t.equal(set(0, 1048516), 'incomplete');
  t.equal(set(0, 1048517), 'too large');
  t.equal(set(7, 1048512), 'incomplete');
  t.equal(set(7, 1048513), 'too large');
  t.equal(set(0, 1048525, NO_CAS), 'too large');
  t.equal(set(0, 1048524, NO_CAS), 'incomplete');
  const append = (valueLength: number): string => verdict(parseBinaryRequest(packet({ opcode: 0x0e, key: 'k', bodyLen: 1 + valueLength }), 0, DEFAULT_LIMITS));
  t.equal(append(1048516), 'incomplete', 'append counts no flags');
  t.equal(append(1048517), 'too large');
  // Until the extras are in, the flags are unknown: the parser waits for them.
  const head = packet({ opcode: 0x01, key: 'k', extras: storeExtras(0, 0), bodyLen: 8 + 1 + 1048516 }).subarray(0, 24 + 4);
  t.equal(verdict(parseBinaryRequest(head, 0, DEFAULT_LIMITS)), 'incomplete');
});
