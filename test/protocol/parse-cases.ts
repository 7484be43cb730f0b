// Shared tables and helpers for the text/meta parser tests.
//
// Every expectation below was recorded from memcached 1.6.18 (Debian) fed
// the same bytes, unless the case says `oracle: false` (then the comment
// says why we differ or why the reply depends on stored data).
// test/protocol/parse-memcached.test.ts replays the eligible cases against
// a real memcached to keep these tables honest.

import t from 'tap';
import type { Test } from 'tap';
import type { ParserLimits } from '../../protocol/request.js';
import { DEFAULT_LIMITS } from '../../protocol/request.js';
import { describeOutcome, replay } from '../../protocol/text/replay.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import type { ReplayResult } from '../../protocol/text/replay.js';
import { prng } from '../prng.js';

export { prng };

export type Expect =
  /** A request with (at least) these fields; Buffers as latin1 strings. */
  | { ok: Record<string, unknown> }
  /** An error reply (exact bytes); `close` defaults to false. */
  | { error: string; close?: boolean }
  /** Swallow `remaining` bytes, then this reply. */
  | { swallow: string; remaining: number };

export interface Case {
  name: string;
  /** Input bytes, as a latin1 string. */
  input: string;
  expect: Expect[];
  /** Bytes left buffered at the end (an incomplete request); default 0. */
  leftover?: number;
  limits?: Partial<ParserLimits>;
  /** false: not comparable with memcached (reason in a comment). */
  oracle?: boolean;
  /** false: too big to replay byte by byte. */
  splits?: boolean;
}

export const R = {
  ERROR: 'ERROR\r\n',
  NONE: '',
  BAD_FORMAT: 'CLIENT_ERROR bad command line format\r\n',
  BAD_CHUNK: 'CLIENT_ERROR bad data chunk\r\n',
  TOO_LARGE: 'SERVER_ERROR object too large for cache\r\n',
  INVALID_EXPTIME: 'CLIENT_ERROR invalid exptime argument\r\n',
  INVALID_DELTA: 'CLIENT_ERROR invalid numeric delta argument\r\n',
  DELETE_USAGE: 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n',
  DUPLICATE_FLAG: 'CLIENT_ERROR duplicate flag\r\n',
  INVALID_FLAG: 'CLIENT_ERROR invalid flag\r\n',
  INVALID_OR_DUPLICATE: 'CLIENT_ERROR invalid or duplicate flag\r\n',
  BAD_TOKEN: 'CLIENT_ERROR bad token in command line format\r\n',
  DECODING_KEY: 'CLIENT_ERROR error decoding key\r\n',
  M_LENGTH: 'CLIENT_ERROR incorrect length for M token\r\n',
  MS_MODE: 'CLIENT_ERROR invalid mode for ms M token\r\n',
  MA_MODE: 'CLIENT_ERROR invalid mode for ma M token\r\n',
  INVALID_INITIAL: 'CLIENT_ERROR invalid numeric initial value\r\n',
  INVALID_DELTA_VALUE: 'CLIENT_ERROR invalid numeric delta value\r\n',
  OPAQUE_TOO_LONG: 'CLIENT_ERROR opaque token too long\r\n',
  MG_TOO_MANY: 'CLIENT_ERROR options flags are too long\r\n',
  TOO_MANY: 'CLIENT_ERROR options flags too long\r\n',
} as const;

const K250 = 'a'.repeat(250);
const K251 = 'a'.repeat(251);
const V = { ok: { type: 'version' } } as const;
const MN = { ok: { type: 'mn', protocol: 'meta' } } as const;
const ERR = { error: R.ERROR } as const;
const base = { quiet: false, opaque: 0, binaryOpcode: 0 } as const;

function keys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `k${i}`);
}

// ---------------------------------------------------------------- text

export const TEXT_CASES: Case[] = [
  // Retrieval.
  { name: 'get one key', input: 'get foo\r\n',
    expect: [{ ok: { ...base, protocol: 'text', type: 'get', keys: ['foo'], withCas: false, touchExptime: undefined, withKey: false } }] },
  { name: 'get, LF only', input: 'get foo\n', expect: [{ ok: { type: 'get', keys: ['foo'] } }] },
  { name: 'gets several keys', input: 'gets a b c\r\n', expect: [{ ok: { type: 'get', keys: ['a', 'b', 'c'], withCas: true } }] },
  { name: 'gat', input: 'gat 10 a b\r\n', expect: [{ ok: { type: 'get', keys: ['a', 'b'], withCas: false, touchExptime: 10 } }] },
  { name: 'gats negative exptime', input: 'gats -1 a\r\n', expect: [{ ok: { type: 'get', keys: ['a'], withCas: true, touchExptime: -1 } }] },
  { name: 'gat without key answers END', input: 'gat 10\r\n', expect: [{ ok: { type: 'get', keys: [], touchExptime: 10 } }], oracle: false },
  { name: 'bget alias', input: 'bget k\r\n', expect: [{ ok: { type: 'get', keys: ['k'], withCas: false } }] },
  { name: 'get without key', input: 'get\r\n', expect: [ERR] },
  { name: 'get with only a space', input: 'get \r\n', expect: [ERR] },
  { name: 'gat without exptime', input: 'gat\r\n', expect: [ERR] },
  { name: 'bget without key', input: 'bget\r\n', expect: [ERR] },
  { name: 'gat bad exptime', input: 'gat x k\r\n', expect: [{ error: R.INVALID_EXPTIME }] },
  { name: 'commands are case-sensitive', input: 'GET foo\r\n', expect: [ERR] },
  { name: 'g-command typo is ERROR, not an HTTP close', input: 'gXt / HTTP/1.1\r\n', expect: [ERR] },
  { name: 'get key of 250 bytes', input: `get ${K250}\r\n`, expect: [{ ok: { type: 'get', keys: [K250] } }] },
  { name: 'get key of 251 bytes', input: `get ${K251}\r\n`, expect: [{ error: R.BAD_FORMAT }] },
  { name: 'long key among others fails the line', input: `get k ${K251} k\r\n`, expect: [{ error: R.BAD_FORMAT }] },
  { name: 'extra spaces', input: '  get   a  \r\nversion\r\n', expect: [{ ok: { type: 'get', keys: ['a'] } }, V] },
  { name: 'tab is part of a key', input: 'get a\tb\r\n', expect: [{ ok: { type: 'get', keys: ['a\tb'] } }] },
  { name: 'only one CR is stripped', input: 'get a\r\r\n', expect: [{ ok: { type: 'get', keys: ['a\r'] } }] },
  { name: 'NUL ends the line', input: 'get a\x00b c\r\nversion\r\n', expect: [{ ok: { type: 'get', keys: ['a'] } }, V] },
  { name: 'get with 40 keys (past the 23-token pass)', input: `get ${keys(40).join(' ')}\r\n`, expect: [{ ok: { type: 'get', keys: keys(40) } }] },
  { name: 'get with 22 keys and trailing spaces', input: `get ${keys(22).join(' ')}   \r\n`, expect: [{ ok: { type: 'get', keys: keys(22) } }] },
  { name: 'long key after the 23rd token', input: `get ${keys(30).join(' ')} ${K251}\r\n`, expect: [{ error: R.BAD_FORMAT }] },
  // memcached's 2048-byte rule for lines still without a newline.
  { name: 'non-get line over 2048 bytes without newline closes', input: `set ${'a'.repeat(3000)}`, expect: [{ error: R.NONE, close: true }] },
  { name: 'get line over 2048 bytes without newline waits', input: `get ${'a '.repeat(1500)}`, expect: [], leftover: 3004 },
  { name: 'gets line over 2048 bytes waits', input: `  gets ${'a '.repeat(1500)}`, expect: [], leftover: 3007 },
  { name: 'long get line completes', input: `get ${'a '.repeat(1500)}\r\n`, expect: [{ ok: { type: 'get', keys: Array(1500).fill('a') } }] },
  { name: 'gat line over 2048 bytes closes', input: `gat 1 ${'a '.repeat(1500)}`, expect: [{ error: R.NONE, close: true }] },
  { name: 'get after 101 spaces closes', input: `${' '.repeat(101)}get ${'a '.repeat(1500)}`, expect: [{ error: R.NONE, close: true }] },
  { name: 'get after 100 spaces waits', input: `${' '.repeat(100)}get ${'a '.repeat(1500)}`, expect: [], leftover: 3104 },
  { name: 'mg line over 2048 bytes closes', input: `mg ${'a '.repeat(1500)}`, expect: [{ error: R.NONE, close: true }] },
  { name: 'get without space over 2048 bytes closes', input: `get${'a'.repeat(3000)}`, expect: [{ error: R.NONE, close: true }] },
  { name: 'get line over 2048 bytes arriving whole', input: `get${' '.repeat(3000)}\r\n`, expect: [ERR] },

  // Storage.
  { name: 'set', input: 'set k 0 0 2\r\nhi\r\n',
    expect: [{ ok: { ...base, protocol: 'text', type: 'store', mode: 'set', key: 'k', value: 'hi', flags: 0, exptime: 0, cas: 0 } }] },
  { name: 'set noreply with flags and exptime', input: 'set k 5 100 2 noreply\r\nhi\r\n',
    expect: [{ ok: { type: 'store', mode: 'set', quiet: true, flags: 5, exptime: 100, value: 'hi' } }] },
  { name: 'add', input: 'add k 1 2 3\r\nabc\r\n', expect: [{ ok: { type: 'store', mode: 'add', key: 'k', value: 'abc', flags: 1, exptime: 2 } }] },
  { name: 'replace', input: 'replace k 0 0 1\r\nx\r\n', expect: [{ ok: { type: 'store', mode: 'replace' } }] },
  { name: 'append', input: 'append k 0 0 1\r\nx\r\n', expect: [{ ok: { type: 'store', mode: 'append' } }] },
  { name: 'prepend', input: 'prepend k 0 0 1 noreply\r\nx\r\n', expect: [{ ok: { type: 'store', mode: 'prepend', quiet: true } }] },
  { name: 'cas', input: 'cas k 0 0 2 99\r\nhi\r\n', expect: [{ ok: { type: 'store', mode: 'cas', cas: 99, value: 'hi' } }] },
  { name: 'cas noreply', input: 'cas k 0 0 2 99 noreply\r\nhi\r\n', expect: [{ ok: { type: 'store', mode: 'cas', cas: 99, quiet: true } }] },
  { name: 'cas without unique', input: 'cas k 0 0 2\r\nhi\r\n', expect: [ERR, ERR] },
  { name: 'cas bad unique', input: 'cas k 0 0 2 x\r\nhi\r\n', expect: [{ error: R.BAD_FORMAT }, ERR] },
  { name: 'value binary-safe', input: 'set k 0 0 4\r\n\r\n\x00\xff\r\n', expect: [{ ok: { type: 'store', value: '\r\n\x00\xff' } }] },
  { name: 'empty value', input: 'set k 0 0 0\r\n\r\n', expect: [{ ok: { type: 'store', value: '' } }] },
  { name: 'length not a number', input: 'set k 0 0 notnum\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'value longer than declared', input: 'set k 0 0 2\r\nhelloX\r\n', expect: [{ error: R.BAD_CHUNK }, ERR] },
  { name: 'bad data chunk, then a command right after the block', input: 'set k 0 0 2\r\nabcdversion\r\n',
    expect: [{ error: R.BAD_CHUNK }, V] },
  { name: 'bad data chunk silenced by noreply', input: 'set k 0 0 2 noreply\r\nhelloX\r\nversion\r\n',
    expect: [{ error: R.NONE }, ERR, V] },
  { name: 'noreply in place of the length', input: 'set k 0 0 noreply\r\nversion\r\n', expect: [{ error: R.NONE }, V] },
  { name: 'set with too many tokens', input: 'set k 0 0 1 2 3\r\n', expect: [ERR] },
  { name: 'set with too few tokens', input: 'set k 0 0\r\n', expect: [ERR] },
  { name: 'bad flags: data block read as a command', input: 'set k abc 0 1\r\na\r\n', expect: [{ error: R.BAD_FORMAT }, ERR] },
  { name: 'negative flags', input: 'set k -1 0 1\r\na\r\n', expect: [{ error: R.BAD_FORMAT }, ERR] },
  { name: 'flags truncated to 32 bits', input: 'set k 4294967296 0 1\r\na\r\n', expect: [{ ok: { type: 'store', flags: 0 } }], oracle: false },
  { name: 'flags 2^64-1', input: 'set k 18446744073709551615 0 0\r\n\r\n', expect: [{ ok: { type: 'store', flags: 4294967295 } }] },
  { name: 'flags beyond 64 bits', input: 'set k 18446744073709551616 0 0\r\n\r\n', expect: [{ error: R.BAD_FORMAT }, ERR] },
  { name: 'flags: huge negative wraps below 2^63', input: 'set k -9223372036854775809 0 0\r\n\r\n', expect: [{ ok: { type: 'store', flags: 4294967295 } }] },
  { name: 'flags -0', input: 'set k -0 0 0\r\n\r\n', expect: [{ ok: { type: 'store', flags: 0 } }] },
  { name: 'exptime truncated to int32', input: 'set k 0 2147483648 1\r\na\r\n', expect: [{ ok: { type: 'store', exptime: -2147483648 } }] },
  { name: 'negative exptime', input: 'set k 0 -1 1\r\na\r\n', expect: [{ ok: { type: 'store', exptime: -1 } }] },
  { name: 'length INT_MAX', input: 'set k 0 0 2147483647\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'negative length', input: 'set k 0 0 -1\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'length truncated to int32', input: 'set k 0 0 4294967297\r\nx\r\n', expect: [{ ok: { type: 'store', value: 'x' } }] },
  { name: 'length -0', input: 'set k 0 0 -0\r\n\r\n', expect: [{ ok: { type: 'store', value: '' } }] },
  { name: 'length with plus sign', input: 'set k 0 0 +1\r\nx\r\n', expect: [{ ok: { type: 'store', value: 'x' } }] },
  { name: 'length with leading tab', input: 'set k 0 0 \t1\r\nx\r\n', expect: [{ ok: { type: 'store', value: 'x' } }] },
  { name: 'length with tab and junk after', input: 'set k 0 0 1\tjunk\r\nx\r\n', expect: [{ ok: { type: 'store', value: 'x' } }] },
  { name: 'length followed by junk', input: 'set k 0 0 1x\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'tab does not separate tokens', input: 'set k 0\t0 1\r\nx\r\n', expect: [ERR, ERR] },
  { name: 'set key of 251 bytes', input: `set ${K251} 0 0 1\r\na\r\n`, expect: [{ error: R.BAD_FORMAT }, ERR] },
  { name: 'set key of 250 bytes', input: `set ${K250} 0 0 1\r\na\r\n`, expect: [{ ok: { type: 'store', key: K250 } }] },
  { name: 'too large value is swallowed', input: `set k 0 0 11\r\n${'x'.repeat(11)}\r\nget k\r\n`, limits: { maxValueBytes: 10 },
    expect: [{ swallow: R.TOO_LARGE, remaining: 13 }, { ok: { type: 'get', keys: ['k'] } }], oracle: false },
  { name: 'too large value with noreply', input: `set k 0 0 11 noreply\r\n${'x'.repeat(11)}\r\nversion\r\n`, limits: { maxValueBytes: 10 },
    expect: [{ swallow: R.NONE, remaining: 13 }, V], oracle: false },
  { name: 'value at the limit', input: `set k 0 0 10\r\n${'x'.repeat(10)}\r\n`, limits: { maxValueBytes: 10 },
    expect: [{ ok: { type: 'store', value: 'x'.repeat(10) } }] },
  { name: 'memcached 1 MB limit: 2 MB value swallowed', input: `set k 0 0 2000000\r\n${'x'.repeat(2000000)}\r\nversion\r\n`,
    expect: [{ swallow: R.TOO_LARGE, remaining: 2000002 }, V], splits: false },
  { name: 'incomplete data block waits', input: 'set k 0 0 5\r\nab', expect: [], leftover: 15, oracle: false },
  { name: 'pipelined', input: 'set a 0 0 1\r\n1\r\nget a b\r\ndelete a\r\n',
    expect: [{ ok: { type: 'store', key: 'a' } }, { ok: { type: 'get', keys: ['a', 'b'] } }, { ok: { type: 'delete', key: 'a' } }] },

  // incr / decr.
  { name: 'incr', input: 'incr k 5\r\n',
    expect: [{ ok: { ...base, protocol: 'text', type: 'arith', incr: true, key: 'k', delta: 5n, initial: 0n, exptime: undefined, cas: 0 } }] },
  { name: 'decr noreply', input: 'decr k 5 noreply\r\n', expect: [{ ok: { type: 'arith', incr: false, delta: 5n, quiet: true } }] },
  { name: 'incr by 2^64-1', input: 'incr k 18446744073709551615\r\n', expect: [{ ok: { type: 'arith', delta: 18446744073709551615n } }] },
  { name: 'incr by 2^64', input: 'incr k 18446744073709551616\r\n', expect: [{ error: R.INVALID_DELTA }] },
  { name: 'incr by -1', input: 'incr k -1\r\n', expect: [{ error: R.INVALID_DELTA }] },
  { name: 'incr by garbage', input: 'incr k x\r\n', expect: [{ error: R.INVALID_DELTA }] },
  { name: 'incr by +1', input: 'incr k +1\r\n', expect: [{ ok: { type: 'arith', delta: 1n } }] },
  { name: 'incr without args', input: 'incr\r\n', expect: [ERR] },
  { name: 'incr without delta', input: 'incr k\r\n', expect: [ERR] },
  { name: 'incr noreply as delta', input: 'incr k noreply\r\nversion\r\n', expect: [{ error: R.NONE }, V] },
  { name: 'incr with ignored 4th token', input: 'incr k 1 x\r\n', expect: [{ ok: { type: 'arith', quiet: false, delta: 1n } }] },
  { name: 'incr key of 251 bytes', input: `incr ${K251} 1\r\n`, expect: [{ error: R.BAD_FORMAT }] },
  { name: 'decr key of 251 bytes, noreply', input: `decr ${K251} 1 noreply\r\nversion\r\n`, expect: [{ error: R.NONE }, V] },

  // touch.
  { name: 'touch', input: 'touch k 10\r\n', expect: [{ ok: { ...base, protocol: 'text', type: 'touch', key: 'k', exptime: 10 } }] },
  { name: 'touch noreply', input: 'touch k 10 noreply\r\n', expect: [{ ok: { type: 'touch', quiet: true } }] },
  { name: 'bare touch', input: 'touch\r\n', expect: [ERR] },
  { name: 'touch without exptime', input: 'touch k\r\n', expect: [ERR] },
  { name: 'touch bad exptime', input: 'touch k x\r\n', expect: [{ error: R.INVALID_EXPTIME }] },
  { name: 'touch key of 251 bytes', input: `touch ${K251} 1\r\n`, expect: [{ error: R.BAD_FORMAT }] },

  // delete.
  { name: 'delete', input: 'delete k\r\n', expect: [{ ok: { ...base, protocol: 'text', type: 'delete', key: 'k', cas: 0 } }] },
  { name: 'delete legacy 0', input: 'delete k 0\r\n', expect: [{ ok: { type: 'delete', key: 'k', quiet: false } }] },
  { name: 'delete noreply', input: 'delete k noreply\r\n', expect: [{ ok: { type: 'delete', quiet: true } }] },
  { name: 'delete 0 noreply', input: 'delete k 0 noreply\r\n', expect: [{ ok: { type: 'delete', quiet: true } }] },
  { name: 'delete with a hold time', input: 'delete k 1\r\n', expect: [{ error: R.DELETE_USAGE }] },
  { name: 'delete with a hold time, noreply', input: 'delete k 1 noreply\r\nversion\r\n', expect: [{ error: R.NONE }, V] },
  { name: 'delete 0 then junk', input: 'delete k 0 x\r\n', expect: [{ error: R.DELETE_USAGE }] },
  { name: 'bare delete', input: 'delete\r\n', expect: [ERR] },
  { name: 'delete with too many tokens', input: 'delete a b c d\r\n', expect: [ERR] },
  { name: 'delete key of 251 bytes', input: `delete ${K251}\r\n`, expect: [{ error: R.BAD_FORMAT }] },

  // flush_all.
  { name: 'flush_all', input: 'flush_all\r\n', expect: [{ ok: { ...base, protocol: 'text', type: 'flush_all', delay: 0 } }] },
  { name: 'flush_all 0', input: 'flush_all 0\r\n', expect: [{ ok: { type: 'flush_all', delay: 0 } }] },
  { name: 'flush_all delay noreply', input: 'flush_all 10 noreply\r\n', expect: [{ ok: { type: 'flush_all', delay: 10, quiet: true } }] },
  { name: 'flush_all noreply', input: 'flush_all noreply\r\n', expect: [{ ok: { type: 'flush_all', delay: 0, quiet: true } }] },
  { name: 'flush_all garbage', input: 'flush_all x\r\n', expect: [{ error: R.INVALID_EXPTIME }] },
  { name: 'flush_all with ignored extra token', input: 'flush_all 1 2\r\n', expect: [{ ok: { type: 'flush_all', delay: 1, quiet: false } }] },
  { name: 'flush_all with too many tokens', input: 'flush_all 1 2 3\r\n', expect: [ERR] },
  { name: 'flush_all negative', input: 'flush_all -1\r\n', expect: [{ ok: { type: 'flush_all', delay: -1 } }] },
  { name: 'flush_all noreply before delay', input: 'flush_all noreply 5\r\n', expect: [{ error: R.INVALID_EXPTIME }] },

  // verbosity, cache_memlimit, shutdown, version, quit, stats.
  { name: 'verbosity', input: 'verbosity 1\r\n', expect: [{ ok: { ...base, protocol: 'text', type: 'verbosity', arg: 1 } }] },
  { name: 'verbosity with ignored token', input: 'verbosity 1 2\r\n', expect: [{ ok: { type: 'verbosity', arg: 1, quiet: false } }] },
  { name: 'verbosity noreply', input: 'verbosity 2 noreply\r\n', expect: [{ ok: { type: 'verbosity', arg: 2, quiet: true } }] },
  { name: 'verbosity without level', input: 'verbosity\r\n', expect: [ERR] },
  { name: 'verbosity garbage', input: 'verbosity x\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'verbosity too many tokens', input: 'verbosity 1 2 3\r\n', expect: [ERR] },
  { name: 'verbosity noreply alone', input: 'verbosity noreply\r\nversion\r\n', expect: [{ error: R.NONE }, V] },
  { name: 'cache_memlimit', input: 'cache_memlimit 100\r\n', expect: [{ ok: { type: 'cache_memlimit', arg: 100 } }] },
  { name: 'cache_memlimit noreply', input: 'cache_memlimit 100 noreply\r\n', expect: [{ ok: { type: 'cache_memlimit', arg: 100, quiet: true } }] },
  { name: 'cache_memlimit without value', input: 'cache_memlimit\r\n', expect: [ERR] },
  { name: 'cache_memlimit garbage', input: 'cache_memlimit x\r\n', expect: [ERR] },
  { name: 'cache_memlimit garbage noreply', input: 'cache_memlimit x noreply\r\nversion\r\n', expect: [{ error: R.NONE }, V] },
  { name: 'shutdown', input: 'shutdown\r\n', expect: [{ ok: { type: 'shutdown', arg: 0 } }], oracle: false },
  { name: 'shutdown graceful', input: 'shutdown graceful\r\n', expect: [{ ok: { type: 'shutdown', arg: 1 } }], oracle: false },
  { name: 'shutdown bad mode', input: 'shutdown now\r\n', expect: [{ ok: { type: 'shutdown', arg: 2 } }], oracle: false },
  { name: 'shutdown too many args', input: 'shutdown graceful x\r\n', expect: [{ ok: { type: 'shutdown', arg: 2 } }], oracle: false },
  { name: 'version', input: 'version\r\n', expect: [{ ok: { ...base, protocol: 'text', type: 'version', arg: 0 } }] },
  { name: 'version ignores arguments', input: 'version x y\r\n', expect: [V] },
  { name: 'version ignores 30 tokens', input: `version ${keys(30).join(' ')}\r\n`, expect: [V] },
  { name: 'quit', input: 'quit\r\n', expect: [{ ok: { type: 'quit' } }], oracle: false },
  { name: 'quit ignores arguments', input: 'quit x\r\nversion\r\n', expect: [{ ok: { type: 'quit' } }, V], oracle: false },
  { name: 'stats', input: 'stats\r\n', expect: [{ ok: { ...base, protocol: 'text', type: 'stats', group: '', args: '' } }], oracle: false },
  { name: 'stats group', input: 'stats settings\r\n', expect: [{ ok: { type: 'stats', group: 'settings', args: '' } }], oracle: false },
  { name: 'stats group args', input: 'stats cachedump  1 2\r\n', expect: [{ ok: { type: 'stats', group: 'cachedump', args: '1 2' } }], oracle: false },

  // Garbage.
  { name: 'empty line CRLF', input: '\r\n', expect: [ERR] },
  { name: 'empty line LF', input: '\n', expect: [ERR] },
  { name: 'lone CR line', input: '\r\r\n', expect: [ERR] },
  { name: 'one-byte command', input: 'x\r\n', expect: [ERR] },
  { name: 'unknown command', input: 'bogus\r\nversion\r\n', expect: [ERR, V] },
  { name: 'garbage then a valid command', input: '\x01\x02\xff junk\r\nget a\r\n', expect: [ERR, { ok: { type: 'get', keys: ['a'] } }] },
  { name: 'HTTP request line closes', input: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', expect: [{ error: R.NONE, close: true }] },
  { name: 'any unknown command ending in HTTP/ closes', input: 'foo HTTP/1.0\r\nversion\r\n', expect: [{ error: R.NONE, close: true }] },
  { name: 'mget is not a meta command', input: 'mget x\r\n', expect: [ERR] },
  // The words go to lib/respond/slabs-command.ts, which answers as memcached; noreply is its to judge.
  { name: 'slabs: its words', input: 'slabs automove 1 noreply\r\n', expect: [{ ok: { ...base, protocol: 'text', type: 'slabs', args: ['automove', '1', 'noreply'] } }], oracle: false },
  { name: 'set with 30 tokens', input: `set ${keys(30).join(' ')}\r\n`, expect: [ERR] },
];

// ---------------------------------------------------------------- meta

const O32 = 'O' + '1'.repeat(31);
const O33 = 'O' + '1'.repeat(32);

export const META_CASES: Case[] = [
  { name: 'mn', input: 'mn\r\n', expect: [{ ok: { ...base, protocol: 'meta', type: 'mn', arg: 0 } }] },
  { name: 'mn ignores arguments', input: 'mn x y\r\n', expect: [MN] },
  { name: 'unknown m command', input: 'mx foo\r\n', expect: [ERR] },
  { name: 'three-letter m command', input: 'mgx foo\r\n', expect: [ERR] },

  // mg.
  { name: 'mg without key', input: 'mg\r\n', expect: [ERR] },
  { name: 'mg plain', input: 'mg foo\r\n',
    expect: [{ ok: { ...base, protocol: 'meta', type: 'mg', key: 'foo', base64Key: false, flags: [], value: '' } }] },
  { name: 'mg with flags in order', input: 'mg foo s v t f c k h l O123 q u\r\n',
    expect: [{ ok: { type: 'mg', quiet: true, flags: [['s', true], ['v', true], ['t', true], ['f', true], ['c', true], ['k', true], ['h', true], ['l', true], ['O', '123'], ['q', true], ['u', true]] } }] },
  { name: 'mg numeric tokens', input: 'mg foo T30 N-1 R5\r\n', expect: [{ ok: { type: 'mg', flags: [['T', '30'], ['N', '-1'], ['R', '5']] } }] },
  { name: 'mg numeric tokens in canonical form', input: 'mg foo T+30 F4294967296 C007\r\n',
    expect: [{ ok: { type: 'mg', flags: [['T', '30'], ['F', '0'], ['C', '7']] } }] },
  { name: 'mg base64 key', input: 'mg Zm9v b v\r\n', expect: [{ ok: { type: 'mg', key: 'foo', base64Key: true, flags: [['b', true], ['v', true]] } }] },
  { name: 'mg base64 binary key', input: 'mg AP8K b\r\n', expect: [{ ok: { type: 'mg', key: '\x00\xff\x0a', base64Key: true } }] },
  { name: 'mg duplicate flag', input: 'mg foo v v\r\n', expect: [{ error: R.DUPLICATE_FLAG }] },
  { name: 'mg unknown flag', input: 'mg foo X\r\n', expect: [{ error: R.INVALID_FLAG }] },
  { name: 'mg flag byte >= 127', input: 'mg foo \x80\r\n', expect: [{ error: R.DUPLICATE_FLAG }] },
  { name: 'mg flag starting with a tab', input: 'mg foo \tv\r\n', expect: [{ error: R.INVALID_FLAG }] },
  { name: 'mg bad T token', input: 'mg foo Tx\r\n', expect: [{ error: R.BAD_TOKEN }] },
  { name: 'mg empty T token', input: 'mg foo T\r\n', expect: [{ error: R.BAD_TOKEN }] },
  { name: 'mg bad base64 after T', input: 'mg foo T10 b\r\n', expect: [{ error: R.DECODING_KEY }] },
  { name: 'mg base64 wrong length', input: 'mg Zm9 b v\r\n', expect: [{ error: R.DECODING_KEY }] },
  { name: 'mg base64 no alphabet chars', input: 'mg !!!! b v\r\n', expect: [{ error: R.DECODING_KEY }] },
  { name: 'mg base64 too much padding', input: 'mg A=== b\r\n', expect: [{ error: R.DECODING_KEY }] },
  { name: 'mg last error wins (T after b)', input: 'mg Zm9 b Tx\r\n', expect: [{ error: R.BAD_TOKEN }] },
  { name: 'mg last error wins (b after T)', input: 'mg Zm9 Tx b\r\n', expect: [{ error: R.DECODING_KEY }] },
  { name: 'mg valid key, bad T', input: 'mg Zm9v b Tx\r\n', expect: [{ error: R.BAD_TOKEN }] },
  { name: 'mg bad T then bad F', input: 'mg foo Tx Fx\r\n', expect: [{ error: R.BAD_TOKEN }] },
  { name: 'mg bad F then bad T', input: 'mg foo Fx Tx\r\n', expect: [{ error: R.BAD_TOKEN }] },
  { name: 'mg bad F alone', input: 'mg foo Fx\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'mg invalid flag stops at once', input: 'mg foo Tx X\r\n', expect: [{ error: R.INVALID_FLAG }] },
  { name: 'mg M without mode', input: 'mg foo M\r\n', expect: [{ error: R.M_LENGTH }] },
  { name: 'mg M with two chars', input: 'mg foo MEE\r\n', expect: [{ error: R.M_LENGTH }] },
  { name: 'mg M is accepted and ignored', input: 'mg foo ME\r\n', expect: [{ ok: { type: 'mg', flags: [['M', 'E']] } }] },
  { name: 'mg bad J', input: 'mg foo Jx\r\n', expect: [{ error: R.INVALID_INITIAL }] },
  { name: 'mg bad D', input: 'mg foo Dx\r\n', expect: [{ error: R.INVALID_DELTA_VALUE }] },
  { name: 'mg bad C', input: 'mg foo Cx\r\n', expect: [{ error: R.BAD_TOKEN }] },
  { name: 'mg opaque of 32 bytes', input: `mg foo ${O32}\r\n`, expect: [{ ok: { type: 'mg', flags: [['O', O32.slice(1)]] } }] },
  { name: 'mg opaque of 33 bytes', input: `mg foo ${O33}\r\n`, expect: [{ error: R.OPAQUE_TOO_LONG }] },
  { name: 'mg quiet, then mn', input: 'mg foo q\r\nmn\r\n', expect: [{ ok: { type: 'mg', quiet: true } }, MN] },
  { name: 'mg bad base64 with other flags', input: 'mg foo k O1 q b\r\n', expect: [{ error: R.DECODING_KEY }] },
  { name: 'mg E (later releases; 1.6.18 refuses it)', input: 'mg foo E5\r\n', expect: [{ error: R.INVALID_FLAG }] },
  { name: 'md E is refused', input: 'md foo E5\r\n', expect: [{ error: R.INVALID_OR_DUPLICATE }] },
  { name: 'mg S is not a flag', input: 'mg foo S5\r\n', expect: [{ error: R.INVALID_FLAG }] },
  { name: 'mg 17 flags', input: 'mg foo a b c d e f g h i j k l m n o p q\r\n', expect: [{ error: R.INVALID_FLAG }] },
  { name: 'mg 17 valid flags', input: 'mg foo c f h k l s t u v O1 q N1 R1 T1 P L I\r\n',
    expect: [{ ok: { type: 'mg', flags: [['c', true], ['f', true], ['h', true], ['k', true], ['l', true], ['s', true], ['t', true], ['u', true], ['v', true], ['O', '1'], ['q', true], ['N', '1'], ['R', '1'], ['T', '1'], ['P', true], ['L', true], ['I', true]] } }] },
  { name: 'mg 18 flags', input: 'mg foo a b c d e f g h i j k l m n o p q r\r\n', expect: [{ error: R.MG_TOO_MANY }] },
  { name: 'mg key of 251 bytes', input: `mg ${K251} v\r\n`, expect: [{ error: R.BAD_FORMAT }] },
  { name: 'mg key of 250 bytes', input: `mg ${K250} v\r\n`, expect: [{ ok: { type: 'mg', key: K250 } }] },
  { name: 'mg key length is checked before decoding', input: `mg ${'QUFB'.repeat(63)} b\r\n`, expect: [{ error: R.BAD_FORMAT }] },

  // ms.
  { name: 'ms without key', input: 'ms\r\n', expect: [ERR] },
  { name: 'ms without length', input: 'ms k\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'ms bad length', input: 'ms k x\r\nversion\r\n', expect: [{ error: R.BAD_FORMAT }, V] },
  { name: 'ms negative length', input: 'ms k -1\r\nversion\r\n', expect: [{ error: R.BAD_FORMAT }, V] },
  { name: 'ms', input: 'ms k 2\r\nhi\r\n',
    expect: [{ ok: { ...base, protocol: 'meta', type: 'ms', key: 'k', base64Key: false, flags: [], value: 'hi' } }] },
  { name: 'ms with flags', input: 'ms k 2 T0 F5 C9 I c k q MA O7\r\nhi\r\n',
    expect: [{ ok: { type: 'ms', quiet: true, value: 'hi', flags: [['T', '0'], ['F', '5'], ['C', '9'], ['I', true], ['c', true], ['k', true], ['q', true], ['M', 'A'], ['O', '7']] } }] },
  { name: 'ms every mode', input: 'ms k 1 ME\r\na\r\nms k 1 MA\r\na\r\nms k 1 MP\r\na\r\nms k 1 MR\r\na\r\nms k 1 MS\r\na\r\n',
    expect: ['E', 'A', 'P', 'R', 'S'].map((m) => ({ ok: { type: 'ms', flags: [['M', m]] } })) },
  { name: 'ms length truncated to int32', input: 'ms k 4294967298\r\nhi\r\n', expect: [{ ok: { type: 'ms', value: 'hi' } }], oracle: false },
  { name: 'ms unknown flag swallows the block', input: 'ms k 2 X\r\nhi\r\nversion\r\n', expect: [{ swallow: R.INVALID_FLAG, remaining: 4 }, V] },
  { name: 'ms duplicate flag swallows', input: 'ms k 2 v v\r\nhi\r\nversion\r\n', expect: [{ swallow: R.DUPLICATE_FLAG, remaining: 4 }, V] },
  { name: 'ms bad mode swallows', input: 'ms k 2 MX\r\nhi\r\nversion\r\n', expect: [{ swallow: R.MS_MODE, remaining: 4 }, V] },
  { name: 'ms ma-only mode', input: 'ms k 2 M+\r\nhi\r\nversion\r\n', expect: [{ swallow: R.MS_MODE, remaining: 4 }, V] },
  { name: 'ms M without mode', input: 'ms k 2 M\r\nhi\r\nversion\r\n', expect: [{ swallow: R.M_LENGTH, remaining: 4 }, V] },
  { name: 'ms bad mode beats long opaque', input: `ms k 2 ${O33} MX\r\nhi\r\nversion\r\n`, expect: [{ swallow: R.MS_MODE, remaining: 4 }, V] },
  { name: 'ms bad data chunk is answered despite q', input: 'ms k 2 q\r\nhiX\r\nversion\r\n', expect: [{ error: R.BAD_CHUNK }, ERR, V] },
  { name: 'ms quiet, then mn', input: 'ms k 2 q\r\nhi\r\nmn\r\n', expect: [{ ok: { type: 'ms', quiet: true } }, MN] },
  { name: 'ms long opaque swallows', input: `ms k 2 ${O33}\r\nhi\r\nversion\r\n`, expect: [{ swallow: R.OPAQUE_TOO_LONG, remaining: 4 }, V] },
  { name: 'ms 16 flags', input: 'ms k 2 c f h k l s t u v O1 q T1 P L I MS\r\nhi\r\n', expect: [{ ok: { type: 'ms', value: 'hi' } }] },
  { name: 'ms 17 flags: only the line is consumed', input: 'ms k 2 c f h k l s t u v O1 q T1 P L I MS b\r\nhi\r\nversion\r\n',
    expect: [{ error: R.TOO_MANY }, ERR, V] },
  { name: 'ms base64 key', input: 'ms Zm9v 2 b k c\r\nhi\r\n', expect: [{ ok: { type: 'ms', key: 'foo', base64Key: true, value: 'hi' } }] },
  { name: 'ms bad base64 key swallows', input: 'ms Zm9 2 b\r\nhi\r\nversion\r\n', expect: [{ swallow: R.DECODING_KEY, remaining: 4 }, V] },
  { name: 'ms bad F swallows', input: 'ms k 2 Fx\r\nhi\r\nversion\r\n', expect: [{ swallow: R.BAD_FORMAT, remaining: 4 }, V] },
  { name: 'ms F truncated to 32 bits', input: 'ms k 2 F4294967296\r\nhi\r\n', expect: [{ ok: { type: 'ms', flags: [['F', '0']] } }] },
  { name: 'ms key of 251 bytes: only the line', input: `ms ${K251} 2\r\nhi\r\nversion\r\n`, expect: [{ error: R.BAD_FORMAT }, ERR, V] },
  { name: 'ms too large is swallowed, answered despite q', input: `ms k 11 q\r\n${'x'.repeat(11)}\r\nmn\r\n`, limits: { maxValueBytes: 10 },
    expect: [{ swallow: R.TOO_LARGE, remaining: 13 }, MN], oracle: false },
  { name: 'ms 2 MB value swallowed', input: `ms k 2000000 T0\r\n${'x'.repeat(2000000)}\r\nversion\r\n`,
    expect: [{ swallow: R.TOO_LARGE, remaining: 2000002 }, V], splits: false },

  // md.
  { name: 'md without key', input: 'md\r\n', expect: [ERR] },
  { name: 'md', input: 'md k\r\n', expect: [{ ok: { ...base, protocol: 'meta', type: 'md', key: 'k', flags: [], value: '' } }] },
  { name: 'md with flags', input: 'md k q I T30 C5 k O9\r\n',
    expect: [{ ok: { type: 'md', quiet: true, flags: [['q', true], ['I', true], ['T', '30'], ['C', '5'], ['k', true], ['O', '9']] } }] },
  { name: 'md unknown flag', input: 'md k X\r\n', expect: [{ error: R.INVALID_OR_DUPLICATE }] },
  { name: 'md bad token', input: 'md k Tx\r\n', expect: [{ error: R.INVALID_OR_DUPLICATE }] },
  { name: 'md bad base64', input: 'md Zm9 b\r\n', expect: [{ error: R.INVALID_OR_DUPLICATE }] },
  { name: 'md long opaque', input: `md k ${O33}\r\n`, expect: [{ error: R.OPAQUE_TOO_LONG }] },
  { name: 'md 18 flags', input: 'md k a b c d e f g h i j k l m n o p q r\r\n', expect: [{ error: R.TOO_MANY }] },
  { name: 'md key of 251 bytes', input: `md ${K251}\r\n`, expect: [{ error: R.BAD_FORMAT }] },

  // ma.
  { name: 'ma without key', input: 'ma\r\n', expect: [ERR] },
  { name: 'ma', input: 'ma k\r\n', expect: [{ ok: { ...base, protocol: 'meta', type: 'ma', key: 'k', flags: [] } }] },
  { name: 'ma vivify', input: 'ma k N0 J5 v\r\n', expect: [{ ok: { type: 'ma', flags: [['N', '0'], ['J', '5'], ['v', true]] } }] },
  { name: 'ma modes', input: 'ma k MI\r\nma k M+\r\nma k MD\r\nma k M-\r\n',
    expect: ['I', '+', 'D', '-'].map((m) => ({ ok: { type: 'ma', flags: [['M', m]] } })) },
  { name: 'ma bad mode', input: 'ma k MX\r\n', expect: [{ error: R.MA_MODE }] },
  { name: 'ma ms-only mode', input: 'ma k ME\r\n', expect: [{ error: R.MA_MODE }] },
  { name: 'ma bad delta', input: 'ma k Dx\r\n', expect: [{ error: R.INVALID_OR_DUPLICATE }] },
  { name: 'ma unknown flag', input: 'ma k X\r\n', expect: [{ error: R.INVALID_OR_DUPLICATE }] },
  { name: 'ma delta 2^64-1', input: 'ma k D18446744073709551615 J18446744073709551615\r\n',
    expect: [{ ok: { type: 'ma', flags: [['D', '18446744073709551615'], ['J', '18446744073709551615']] } }] },
  { name: 'ma delta 2^64', input: 'ma k D18446744073709551616\r\n', expect: [{ error: R.INVALID_OR_DUPLICATE }] },
  { name: 'ma long opaque', input: `ma k ${O33}\r\n`, expect: [{ error: R.OPAQUE_TOO_LONG }], oracle: false /* memcached answers after running the incr: NF vs error depends on data */ },

  // me.
  { name: 'me without key', input: 'me\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'me', input: 'me k\r\n', expect: [{ ok: { ...base, protocol: 'meta', type: 'me', key: 'k', base64Key: false, flags: [] } }] },
  { name: 'me base64', input: 'me Zm9v b\r\n', expect: [{ ok: { type: 'me', key: 'foo', base64Key: true, flags: [['b', true]] } }] },
  { name: 'me bad base64', input: 'me k b\r\n', expect: [{ error: R.BAD_FORMAT }] },
  { name: 'me ignores other tokens', input: 'me k x y\r\n', expect: [{ ok: { type: 'me', key: 'k', base64Key: false } }] },
  { name: 'me key of 251 bytes', input: `me ${K251}\r\n`, expect: [{ error: R.BAD_FORMAT }] },
];

// ---------------------------------------------------------------- helpers

export function limitsOf(c: Case): ParserLimits {
  return { ...DEFAULT_LIMITS, ...c.limits };
}


export function whole(bytes: Buffer): Buffer[] {
  return [bytes];
}

export function byteByByte(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
  return chunks;
}

export function randomSplits(bytes: Buffer, random: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    const size = 1 + Math.floor(random() * Math.min(64, bytes.length));
    chunks.push(bytes.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

/** A replay as plain data, comparable with t.strictSame. */
export function plainReplay(result: ReplayResult): Record<string, unknown> {
  const outcomes = result.outcomes.map(describeOutcome);
  // A close drops whatever is buffered, and how much that is depends on the chunking.
  const last = outcomes[outcomes.length - 1];
  if (result.closed && last !== undefined) last.consumed = null;
  return {
    outcomes,
    // After a close, how much was buffered depends on the chunking.
    leftover: result.closed ? null : result.leftover,
    swallowing: result.swallowing,
    closed: result.closed,
  };
}

export function replayPlain(chunks: Buffer[], limits: ParserLimits, startOffset = 0): Record<string, unknown> {
  return plainReplay(replay(chunks, limits, startOffset));
}

/** The outcomes a case expects, checked against a plain replay. */
function checkExpectations(tt: Test, c: Case, plain: Record<string, unknown>): void {
  const outcomes = plain.outcomes as Record<string, unknown>[];
  tt.equal(outcomes.length, c.expect.length, 'number of outcomes');
  c.expect.forEach((want, i) => {
    const got = outcomes[i];
    if (got === undefined) return;
    if ('ok' in want) {
      tt.equal(got.kind, 'ok', `#${i} is a request`);
      tt.hasStrict(got.request, want.ok, `#${i} request fields`);
    } else if ('error' in want) {
      tt.equal(got.kind, 'error', `#${i} is an error`);
      tt.equal(got.reply, want.error, `#${i} reply bytes`);
      tt.equal(got.close, want.close ?? false, `#${i} close`);
    } else {
      tt.equal(got.kind, 'swallow', `#${i} is a swallow`);
      tt.equal(got.reply, want.swallow, `#${i} reply bytes`);
      tt.equal(got.remaining, want.remaining, `#${i} bytes to swallow`);
    }
  });
  if (!plain.closed) tt.equal(plain.leftover, c.leftover ?? 0, 'bytes left buffered');
  tt.equal(plain.swallowing, 0, 'nothing left to swallow');
  const last = c.expect[c.expect.length - 1];
  tt.equal(plain.closed, last !== undefined && 'error' in last && last.close === true, 'closed');
}

/**
 * One subtest per case: the input fed whole gives the expected outcomes,
 * and byte by byte, at random split points and at a non-zero offset give
 * exactly the same outcomes.
 */
export function runCaseTable(cases: Case[]): void {
  for (const c of cases) {
    t.test(c.name, (tt) => {
      const bytes = Buffer.from(c.input, 'latin1');
      const limits = limitsOf(c);
      const reference = replayPlain(whole(bytes), limits);
      checkExpectations(tt, c, reference);
      if (c.splits !== false) {
        tt.strictSame(replayPlain(byteByByte(bytes), limits), reference, 'byte by byte');
        for (const seed of [1, 2, 3]) {
          tt.strictSame(replayPlain(randomSplits(bytes, prng(seed)), limits), reference, `random splits, seed ${seed}`);
        }
      }
      tt.strictSame(replayPlain(whole(bytes), limits, 7), reference, 'at offset 7');
      const only = c.expect[0];
      if (c.expect.length === 1 && only !== undefined && 'ok' in only && c.splits !== false) {
        let early = -1;
        for (let len = 0; len < bytes.length && early < 0; len++) {
          if (parseTextRequest(bytes.subarray(0, len), 0, limits).kind !== 'incomplete') early = len;
        }
        tt.equal(early, -1, 'incomplete until the last byte');
      }
      tt.end();
    });
  }
}
