// Text-protocol exchanges, byte for byte as memcached 1.6.18 answers them
// (oracle.test.ts replays every case not marked oursOnly against it).
// Each case uses its own keys so cases can share one server.

import type { ExchangeCase } from '../helpers/cases.js';

const KEY_251 = 'k'.repeat(251);
const KEY_250 = 'k'.repeat(250);
const NON_NUMERIC = 'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n';

export const TEXT_CASES: ExchangeCase[] = [
  {
    name: 'incr/decr that shorten a number keep its length, padded with spaces',
    steps: [
      { send: 'set pad1 0 0 3\r\n100\r\n', expect: 'STORED\r\n' },
      { send: 'decr pad1 95\r\n', expect: '5\r\n' },
      { send: 'get pad1\r\n', expect: 'VALUE pad1 0 3\r\n5  \r\nEND\r\n' },
      { send: 'incr pad1 1\r\n', expect: '6\r\n' },
      { send: 'get pad1\r\n', expect: 'VALUE pad1 0 3\r\n6  \r\nEND\r\n' },
      { send: 'incr pad1 1000\r\n', expect: '1006\r\n' },
      { send: 'get pad1\r\n', expect: 'VALUE pad1 0 4\r\n1006\r\nEND\r\n' },
    ],
  },
  {
    name: 'set then get and gets',
    steps: [
      { send: 'set t1 5 0 3\r\nabc\r\n', expect: 'STORED\r\n' },
      { send: 'get t1\r\n', expect: 'VALUE t1 5 3\r\nabc\r\nEND\r\n' },
      { send: 'gets t1\r\n', expect: 'VALUE t1 5 3 {c}\r\nabc\r\nEND\r\n' },
      { send: 'get t1-missing\r\n', expect: 'END\r\n' },
    ],
  },
  {
    name: 'multi-get returns hits in order and skips misses',
    steps: [
      { send: 'set mg1 1 0 1\r\na\r\nset mg3 3 0 3\r\nccc\r\n', expect: 'STORED\r\nSTORED\r\n' },
      { send: 'get mg1 mg2 mg3\r\n', expect: 'VALUE mg1 1 1\r\na\r\nVALUE mg3 3 3\r\nccc\r\nEND\r\n' },
      { send: 'gets mg3 mg1\r\n', expect: 'VALUE mg3 3 3 {c3}\r\nccc\r\nVALUE mg1 1 1 {c1}\r\na\r\nEND\r\n' },
    ],
  },
  {
    name: 'empty value and binary-safe value',
    steps: [
      { send: 'set ev 0 0 0\r\n\r\n', expect: 'STORED\r\n' },
      { send: 'get ev\r\n', expect: 'VALUE ev 0 0\r\n\r\nEND\r\n' },
      { send: 'set bv 0 0 4\r\na\r\nb\r\n', expect: 'STORED\r\n' },
      { send: 'get bv\r\n', expect: 'VALUE bv 0 4\r\na\r\nb\r\nEND\r\n' },
    ],
  },
  {
    name: 'largest client flags round-trip',
    steps: [
      { send: 'set fl 4294967295 0 1\r\nx\r\n', expect: 'STORED\r\n' },
      { send: 'get fl\r\n', expect: 'VALUE fl 4294967295 1\r\nx\r\nEND\r\n' },
    ],
  },
  {
    name: 'add only when missing',
    steps: [
      { send: 'add ad1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'add ad1 0 0 1\r\nb\r\n', expect: 'NOT_STORED\r\n' },
      { send: 'get ad1\r\n', expect: 'VALUE ad1 0 1\r\na\r\nEND\r\n' },
    ],
  },
  {
    name: 'replace only when present',
    steps: [
      { send: 'replace rp1 0 0 1\r\na\r\n', expect: 'NOT_STORED\r\n' },
      { send: 'set rp1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'replace rp1 7 0 1\r\nb\r\n', expect: 'STORED\r\n' },
      { send: 'get rp1\r\n', expect: 'VALUE rp1 7 1\r\nb\r\nEND\r\n' },
    ],
  },
  {
    name: 'append and prepend keep flags, refuse missing keys',
    steps: [
      { send: 'append ap1 0 0 1\r\na\r\n', expect: 'NOT_STORED\r\n' },
      { send: 'prepend ap1 0 0 1\r\na\r\n', expect: 'NOT_STORED\r\n' },
      { send: 'set ap1 7 0 2\r\nmm\r\n', expect: 'STORED\r\n' },
      { send: 'append ap1 9 0 2\r\nzz\r\n', expect: 'STORED\r\n' },
      { send: 'prepend ap1 9 0 2\r\naa\r\n', expect: 'STORED\r\n' },
      { send: 'get ap1\r\n', expect: 'VALUE ap1 7 6\r\naammzz\r\nEND\r\n' },
    ],
  },
  {
    name: 'cas: match stores, stale token exists, missing key not found',
    steps: [
      { send: 'set cs1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'gets cs1\r\n', expect: 'VALUE cs1 0 1 {c}\r\na\r\nEND\r\n' },
      { send: 'cas cs1 0 0 1 {c}\r\nb\r\n', expect: 'STORED\r\n' },
      { send: 'cas cs1 0 0 1 {c}\r\nc\r\n', expect: 'EXISTS\r\n' },
      { send: 'get cs1\r\n', expect: 'VALUE cs1 0 1\r\nb\r\nEND\r\n' },
      { send: 'cas cs1-missing 0 0 1 1\r\nc\r\n', expect: 'NOT_FOUND\r\n' },
      { send: 'cas cs1 0 0 1 {c} noreply\r\nd\r\n', expect: '' },
      { send: 'cas cs1 0 0 1\r\nd\r\n', expect: 'ERROR\r\nERROR\r\n' },
    ],
  },
  {
    name: 'a write changes the CAS, a touch keeps it',
    steps: [
      { send: 'set cv 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'gets cv\r\n', expect: 'VALUE cv 0 1 {c1}\r\na\r\nEND\r\n' },
      { send: 'touch cv 100\r\n', expect: 'TOUCHED\r\n' },
      { send: 'gets cv\r\n', expect: 'VALUE cv 0 1 {c1}\r\na\r\nEND\r\n' },
      { send: 'append cv 0 0 1\r\nb\r\n', expect: 'STORED\r\n' },
      { send: 'cas cv 0 0 1 {c1}\r\nz\r\n', expect: 'EXISTS\r\n' },
    ],
  },
  {
    name: 'incr and decr',
    steps: [
      { send: 'set n1 3 0 2\r\n10\r\n', expect: 'STORED\r\n' },
      { send: 'incr n1 5\r\n', expect: '15\r\n' },
      { send: 'decr n1 3\r\n', expect: '12\r\n' },
      { send: 'decr n1 100\r\n', expect: '0\r\n' },
      { send: 'incr n1 18446744073709551615\r\n', expect: '18446744073709551615\r\n' },
      { send: 'incr n1 1\r\n', expect: '0\r\n' },
      { send: 'incr n1 7\r\n', expect: '7\r\n' },
      { send: 'incr n1-missing 1\r\n', expect: 'NOT_FOUND\r\n' },
      { send: 'decr n1-missing 1\r\n', expect: 'NOT_FOUND\r\n' },
    ],
  },
  {
    name: 'incr errors',
    steps: [
      { send: 'set n2 0 0 3\r\nabc\r\n', expect: 'STORED\r\n' },
      { send: 'incr n2 1\r\n', expect: 'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n' },
      { send: 'incr n2 -1\r\n', expect: 'CLIENT_ERROR invalid numeric delta argument\r\n' },
      { send: 'incr n2 abc\r\n', expect: 'CLIENT_ERROR invalid numeric delta argument\r\n' },
      { send: 'incr n2\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    // memcached reads stored values with strtoull: whitespace, a sign and
    // leading zeros before the digits; whitespace or a NUL after them. (A value
    // of only whitespace makes memcached read past the item: not tabled.)
    name: 'incr reads stored values as strtoull does',
    steps: [
      { send: `set n3 0 0 500000\r\n${'1'.repeat(500_000)}\r\n`, expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: NON_NUMERIC },
      { send: `set n3 0 0 21\r\n${'1'.repeat(21)}\r\n`, expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: NON_NUMERIC },
      { send: `set n3 0 0 31\r\n${'0'.repeat(30)}5\r\n`, expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: '6\r\n' },
      { send: `set n3 0 0 101\r\n${' '.repeat(100)}7\r\n`, expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: '8\r\n' },
      { send: 'set n3 0 0 5\r\n12abc\r\n', expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: NON_NUMERIC },
      { send: 'set n3 0 0 6\r\n12 abc\r\n', expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: '13\r\n' },
      { send: 'set n3 0 0 4\r\n12\r\n\r\n', expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: '13\r\n' },
      { send: 'set n3 0 0 2\r\n5\0\r\n', expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: '6\r\n' },
      { send: 'set n3 0 0 2\r\n-0\r\n', expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: '1\r\n' },
      { send: 'set n3 0 0 2\r\n-1\r\n', expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: NON_NUMERIC },
      { send: 'set n3 0 0 22\r\n9223372036854775808 x-\r\n', expect: 'STORED\r\n' },
      { send: 'incr n3 1\r\n', expect: NON_NUMERIC },
    ],
  },
  {
    name: 'touch',
    steps: [
      { send: 'touch tc1 10\r\n', expect: 'NOT_FOUND\r\n' },
      { send: 'set tc1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'touch tc1 10\r\n', expect: 'TOUCHED\r\n' },
      { send: 'touch tc1 -1\r\n', expect: 'TOUCHED\r\n' },
      { send: 'get tc1\r\n', expect: 'END\r\n' },
      { send: 'touch tc1 abc\r\n', expect: 'CLIENT_ERROR invalid exptime argument\r\n' },
      { send: 'touch tc1\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    name: 'gat and gats',
    steps: [
      { send: 'set ga1 2 0 2\r\nhi\r\n', expect: 'STORED\r\n' },
      { send: 'gat 100 ga1 ga-missing\r\n', expect: 'VALUE ga1 2 2\r\nhi\r\nEND\r\n' },
      { send: 'gats 100 ga1\r\n', expect: 'VALUE ga1 2 2 {c}\r\nhi\r\nEND\r\n' },
      { send: 'gat -1 ga1\r\n', expect: 'VALUE ga1 2 2\r\nhi\r\nEND\r\n' },
      { send: 'get ga1\r\n', expect: 'END\r\n' },
      { send: 'gat abc ga1\r\n', expect: 'CLIENT_ERROR invalid exptime argument\r\n' },
      { send: 'gat 10\r\n', expect: 'END\r\n' },
    ],
  },
  {
    name: 'delete',
    steps: [
      { send: 'delete dl1\r\n', expect: 'NOT_FOUND\r\n' },
      { send: 'set dl1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'delete dl1\r\n', expect: 'DELETED\r\n' },
      { send: 'get dl1\r\n', expect: 'END\r\n' },
      { send: 'set dl1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'delete dl1 0\r\n', expect: 'DELETED\r\n' },
      { send: 'delete dl1 5\r\n', expect: 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n' },
      { send: 'delete\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    name: 'noreply silences every storage and admin reply',
    steps: [
      {
        send:
          'set nr1 0 0 1 noreply\r\na\r\nadd nr1 0 0 1 noreply\r\nb\r\nreplace nr1 0 0 1 noreply\r\nc\r\n' +
          'append nr1 0 0 1 noreply\r\nd\r\nprepend nr1 0 0 1 noreply\r\ne\r\n',
        expect: '',
      },
      { send: 'get nr1\r\n', expect: 'VALUE nr1 0 3\r\necd\r\nEND\r\n' },
      { send: 'set nr2 0 0 1\r\n5\r\nincr nr2 2 noreply\r\ndecr nr2 1 noreply\r\n', expect: 'STORED\r\n' },
      { send: 'get nr2\r\n', expect: 'VALUE nr2 0 1\r\n6\r\nEND\r\n' },
      { send: 'touch nr2 100 noreply\r\ndelete nr2 noreply\r\ndelete nr2 noreply\r\n', expect: '' },
      { send: 'incr nr2 1 noreply\r\nincr nr1 1 noreply\r\nverbosity 0 noreply\r\n', expect: '' },
      { send: 'get nr2\r\n', expect: 'END\r\n' },
    ],
  },
  {
    name: 'negative and past exptimes store, then miss',
    steps: [
      { send: 'set ex1 0 -1 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'get ex1\r\n', expect: 'END\r\n' },
      { send: 'set ex2 0 2592001 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'get ex2\r\n', expect: 'END\r\n' },
      { send: 'set ex3 0 2592000 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'get ex3\r\n', expect: 'VALUE ex3 0 1\r\na\r\nEND\r\n' },
    ],
  },
  {
    name: 'keys: 250 bytes is the limit',
    steps: [
      { send: `set ${KEY_250} 0 0 1\r\na\r\n`, expect: 'STORED\r\n' },
      { send: `get ${KEY_250}\r\n`, expect: `VALUE ${KEY_250} 0 1\r\na\r\nEND\r\n` },
      { send: `set ${KEY_251} 0 0 1\r\na\r\n`, expect: 'CLIENT_ERROR bad command line format\r\nERROR\r\n' },
      { send: `get ${KEY_251}\r\n`, expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: `get a ${KEY_251}\r\n`, expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: `incr ${KEY_251} 1\r\n`, expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: `delete ${KEY_251}\r\n`, expect: 'CLIENT_ERROR bad command line format\r\n' },
    ],
  },
  {
    name: 'unknown and malformed commands',
    steps: [
      { send: 'GET foo\r\n', expect: 'ERROR\r\n' },
      { send: 'bogus\r\n', expect: 'ERROR\r\n' },
      { send: 'get\r\n', expect: 'ERROR\r\n' },
      { send: '\r\n', expect: 'ERROR\r\n' },
      { send: 'set k 0 0\r\n', expect: 'ERROR\r\n' },
      { send: 'set k 0 0 notnum\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'set k abc 0 1\r\na\r\n', expect: 'CLIENT_ERROR bad command line format\r\nERROR\r\n' },
      { send: 'set k 0 0 -1\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
    ],
  },
  {
    name: 'garbage followed by a valid command',
    steps: [{ send: 'bogus stuff here\r\nset gv 0 0 1\r\nz\r\nget gv\r\n', expect: 'ERROR\r\nSTORED\r\nVALUE gv 0 1\r\nz\r\nEND\r\n' }],
  },
  {
    name: 'data block longer than declared',
    steps: [
      { send: 'set bd 0 0 2\r\nabcd\r\n', expect: 'CLIENT_ERROR bad data chunk\r\nERROR\r\n' },
      { send: 'get bd\r\n', expect: 'END\r\n' },
    ],
  },
  {
    name: 'lines ending in a bare newline',
    steps: [
      { send: 'set lf 0 0 1\na\r\nget lf\n', expect: 'STORED\r\nVALUE lf 0 1\r\na\r\nEND\r\n' },
    ],
  },
  {
    name: 'a value over the item limit is swallowed and the connection stays usable',
    steps: [
      { send: `set big 0 0 2000000\r\n${'x'.repeat(2000000)}\r\n`, expect: 'SERVER_ERROR object too large for cache\r\n' },
      { send: 'get big\r\n', expect: 'END\r\n' },
      { send: 'set big 0 0 1\r\ny\r\n', expect: 'STORED\r\n' },
    ],
  },
  {
    name: 'a failed oversized set drops the old value',
    steps: [
      { send: 'set big2 0 0 1\r\ny\r\n', expect: 'STORED\r\n' },
      { send: `set big2 0 0 2000000\r\n${'x'.repeat(2000000)}\r\n`, expect: 'SERVER_ERROR object too large for cache\r\n' },
      { send: 'get big2\r\n', expect: 'END\r\n' },
    ],
  },
  {
    name: 'flush_all',
    steps: [
      { send: 'set fa1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'flush_all\r\n', expect: 'OK\r\n' },
      { send: 'get fa1\r\n', expect: 'END\r\n' },
      { send: 'set fa1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'get fa1\r\n', expect: 'VALUE fa1 0 1\r\na\r\nEND\r\n' },
      { send: 'flush_all 0\r\n', expect: 'OK\r\n' },
      { send: 'flush_all noreply\r\n', expect: '' },
      { send: 'flush_all 0 noreply\r\n', expect: '' },
      { send: 'flush_all x\r\n', expect: 'CLIENT_ERROR invalid exptime argument\r\n' },
      { send: 'flush_all 1 2 3\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    name: 'flush_all with a delay keeps items until then',
    steps: [
      { send: 'set fd1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'flush_all 100\r\n', expect: 'OK\r\n' },
      { send: 'get fd1\r\n', expect: 'VALUE fd1 0 1\r\na\r\nEND\r\n' },
      { send: 'flush_all 0\r\n', expect: 'OK\r\n' },
    ],
  },
  {
    // One send each, so no second boundary falls between the flush and the set.
    // memcached's cliff is whole seconds: flush_all 1 names this second, so the
    // rest of its sets are flushed too; a plain flush_all names the second before.
    name: 'flush_all 1 flushes the rest of its second; a plain flush_all does not',
    steps: [
      { send: 'set fs1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'flush_all 1\r\nset fs2 0 0 1\r\nb\r\nget fs1 fs2\r\n', expect: 'OK\r\nSTORED\r\nEND\r\n' },
      { send: 'flush_all\r\nset fs3 0 0 1\r\nc\r\nget fs3\r\n', expect: 'OK\r\nSTORED\r\nVALUE fs3 0 1\r\nc\r\nEND\r\n' },
    ],
  },
  {
    name: 'version is exactly the memcached release (clients parse it)',
    steps: [{ send: 'version\r\n', expect: 'VERSION 1.6.18\r\n' }],
  },
  {
    name: 'verbosity',
    steps: [
      { send: 'verbosity 1\r\n', expect: 'OK\r\n' },
      { send: 'verbosity 0\r\n', expect: 'OK\r\n' },
      { send: 'verbosity\r\n', expect: 'ERROR\r\n' },
      { send: 'verbosity x\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
    ],
  },
  {
    name: 'stats cachedump refuses bad class ids and numbers',
    steps: [
      { send: 'stats cachedump 63 5\r\n', expect: 'END\r\n' },
      { send: 'stats cachedump 0 5\r\n', expect: 'END\r\n' },
      { send: 'stats cachedump 64 5\r\n', expect: 'CLIENT_ERROR Illegal slab id\r\n' },
      { send: 'stats cachedump 19\r\n', expect: 'CLIENT_ERROR bad command line\r\n' },
      { send: 'stats cachedump x 5\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'stats cachedump 19 -1\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
    ],
  },
  {
    // A 5000-byte value is an item of class 19 at memcached's default -f 1.25
    // (5680-byte chunks), a class no other case fills. stats-names.test.ts
    // checks the listing against memcached run as t/stats.t runs it.
    oursOnly: 'memcached lists only its COLD LRU, and with its LRU maintainer on a fresh item may still be in HOT',
    name: 'stats cachedump lists the items of one slab class',
    steps: [
      { send: 'set cdump1 7 0 5000\r\n' + 'v'.repeat(5000) + '\r\n', expect: 'STORED\r\n' },
      { send: 'stats cachedump 19 0\r\n', expect: 'ITEM cdump1 [5000 b; 0 s]\r\nEND\r\n' },
      { send: 'stats cachedump 19 1\r\n', expect: 'ITEM cdump1 [5000 b; 0 s]\r\nEND\r\n' },
      { send: 'stats cachedump 18 0\r\n', expect: 'END\r\n' },
      { send: 'delete cdump1\r\nstats cachedump 19 0\r\n', expect: 'DELETED\r\nEND\r\n' },
    ],
  },
  {
    // memcached's t/strtol-testing.t checks `slabs automove invalid`.
    name: 'slabs automove and reassign parse their numbers',
    steps: [
      { send: 'slabs automove invalid\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'slabs automove -1\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'slabs automove 1x\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'slabs automove 3\r\n', expect: 'ERROR\r\n' },
      { send: 'slabs automove 2\r\n', expect: 'OK\r\n' },
      { send: 'slabs automove 0\r\n', expect: 'OK\r\n' },
      { send: 'slabs automove 1\r\n', expect: 'OK\r\n' },
      { send: 'slabs automove invalid noreply\r\nslabs automove 1 noreply\r\n', expect: '' },
      { send: 'slabs automove ratio 0.8\r\n', expect: 'OK\r\n' },
      { send: 'slabs automove ratio x\r\n', expect: 'ERROR\r\n' },
      { send: 'slabs automove ratio\r\n', expect: 'ERROR\r\n' },
      { send: 'slabs automove\r\n', expect: 'ERROR\r\n' },
      { send: 'slabs reassign x 2\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'slabs reassign 1 noreply\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'slabs reassign 99 100\r\n', expect: 'BADCLASS invalid src or dst class id\r\n' },
      { send: 'slabs reassign 1 2 3\r\n', expect: 'ERROR\r\n' },
      { send: 'slabs\r\n', expect: 'ERROR\r\n' },
      { send: 'slabs foo bar\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    name: 'cache_memlimit',
    steps: [
      { send: 'cache_memlimit 100\r\n', expect: 'OK\r\n' },
      { send: 'cache_memlimit 5\r\n', expect: 'MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n' },
      { send: 'cache_memlimit 2000000000\r\n', expect: 'MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n' },
      { send: 'cache_memlimit abc\r\n', expect: 'ERROR\r\n' },
      { send: 'cache_memlimit 100 noreply\r\n', expect: '' },
      { send: 'cache_memlimit\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    name: 'shutdown is refused without -A',
    steps: [{ send: 'shutdown\r\n', expect: 'ERROR: shutdown not enabled\r\n' }],
  },
  {
    name: 'stats groups that answer with fixed text',
    steps: [
      { send: 'stats reset\r\n', expect: 'RESET\r\n' },
      { send: 'stats bogus\r\n', expect: 'ERROR\r\n' },
      { send: 'stats sizes\r\n', expect: 'STAT sizes_status disabled\r\nEND\r\n' },
      { send: 'stats detail on\r\n', expect: 'OK\r\n' },
      { send: 'stats detail off\r\n', expect: 'OK\r\n' },
      { send: 'stats detail\r\n', expect: 'CLIENT_ERROR usage: stats detail on|off|dump\r\n' },
      { send: 'stats detail dump\r\n', expect: 'END\r\n' },
      { send: 'stats cachedump\r\n', expect: 'CLIENT_ERROR bad command line\r\n' },
    ],
  },
  {
    name: 'quit closes without a reply and ignores what follows',
    steps: [{ send: 'set q1 0 0 1\r\na\r\nquit\r\nget q1\r\n', expect: 'STORED\r\n', closes: true }],
  },
  {
    name: 'a line of 2048+ bytes without newline closes the connection',
    steps: [{ send: 'x'.repeat(4096), expect: '', closes: true }],
  },
  {
    name: 'a long multi-get line is fine',
    steps: [
      { send: 'set lg1 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: `get ${Array.from({ length: 800 }, (_, i) => `nokey${i}`).join(' ')} lg1\r\n`, expect: 'VALUE lg1 0 1\r\na\r\nEND\r\n' },
    ],
  },
  {
    name: 'an HTTP request closes the connection',
    steps: [{ send: 'GET / HTTP/1.1\r\n', expect: '', closes: true }],
  },
];
