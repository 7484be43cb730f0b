// Meta-protocol exchanges (mg, ms, md, ma, mn, me), byte for byte as
// memcached 1.6.18 answers them; oracle.test.ts replays the ones not marked
// oursOnly against it. Each case uses its own keys.

import type { ExchangeCase } from '../helpers/cases.js';

export const META_CASES: ExchangeCase[] = [
  {
    name: 'the E flag (later releases) is refused by 1.6.18',
    steps: [
      { send: 'ms me1 2 E5\r\nhi\r\n', expect: 'CLIENT_ERROR invalid flag\r\n' },
      { send: 'mg me1 E5 v\r\n', expect: 'CLIENT_ERROR invalid flag\r\n' },
      { send: 'md me1 E5\r\n', expect: 'CLIENT_ERROR invalid or duplicate flag\r\n' },
      { send: 'ma me1 E5\r\n', expect: 'CLIENT_ERROR invalid or duplicate flag\r\n' },
    ],
  },
  {
    name: 'mn answers MN',
    steps: [{ send: 'mn\r\n', expect: 'MN\r\n' }],
  },
  {
    name: 'mg return flags come back in request order',
    steps: [
      { send: 'set mga 5 0 3\r\nabc\r\n', expect: 'STORED\r\n' },
      { send: 'mg mga s v t f c k O123\r\n', expect: 'VA 3 s3 t-1 f5 c{c} kmga O123\r\nabc\r\n' },
      { send: 'mg mga k s\r\n', expect: 'HD kmga s3\r\n' },
      { send: 'mg mga\r\n', expect: 'HD\r\n' },
      { send: 'mg mga v\r\n', expect: 'VA 3\r\nabc\r\n' },
      { send: 'mg mga c\r\n', expect: 'HD c{c}\r\n' },
    ],
  },
  {
    name: 'mg miss: EN, with O and k echoed; q hides it',
    steps: [
      { send: 'mg mgm v\r\n', expect: 'EN\r\n' },
      { send: 'mg mgm O9 k v\r\n', expect: 'EN O9 kmgm\r\n' },
      { send: 'mg mgm v q\r\nmg mgm q k O1\r\n', expect: '' },
    ],
  },
  {
    name: 'mg T-1 on a hit answers from the item, which is then gone',
    steps: [
      { send: 'set mgt1 0 0 1\r\nx\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgt1 T-1 v\r\n', expect: 'VA 1\r\nx\r\n' },
      { send: 'mg mgt1 v\r\n', expect: 'EN\r\n' },
      { send: 'set mgt2 0 0 2\r\nyz\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgt2 s T-1 v\r\n', expect: 'VA 2 s2\r\nyz\r\n' },
    ],
  },
  {
    name: 'mg q still answers a hit (1.6.18)',
    steps: [
      { send: 'set mgq 0 0 1\r\nx\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgq q\r\nmg mgq v q\r\n', expect: 'HD\r\nVA 1\r\nx\r\n' },
    ],
  },
  {
    name: 'mg h and l report the state before this request',
    steps: [
      { send: 'set mgh 0 0 1\r\nx\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgh h l\r\n', expect: 'HD h0 l0\r\n' },
      { send: 'mg mgh h\r\n', expect: 'HD h1\r\n' },
    ],
  },
  {
    name: 'mg u reads without marking the item fetched',
    steps: [
      { send: 'set mgu 0 0 1\r\nx\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgu u h\r\n', expect: 'HD h0\r\n' },
      { send: 'mg mgu h\r\n', expect: 'HD h0\r\n' },
      { send: 'mg mgu h\r\n', expect: 'HD h1\r\n' },
    ],
  },
  {
    name: 'mg T updates the TTL in flag order',
    steps: [
      { send: 'set mgt 0 100 1\r\nx\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgt t T30 t\r\n', expect: 'CLIENT_ERROR duplicate flag\r\n' },
      { send: 'mg mgt t T30\r\n', expect: 'HD t100\r\n' },
      { send: 'mg mgt t\r\n', expect: 'HD t30\r\n' },
      { send: 'mg mgt T0 t\r\n', expect: 'HD t-1\r\n' },
      { send: 'mg mgt Tx\r\n', expect: 'CLIENT_ERROR bad token in command line format\r\n' },
      { send: 'mg mgt-missing T30 v\r\n', expect: 'EN\r\n' },
    ],
  },
  {
    name: 'mg N vivifies a miss: the first client wins (W), later ones see Z',
    steps: [
      { send: 'mg mgn N30 s t v c\r\n', expect: 'VA 0 s0 t30 c{c} W\r\n\r\n' },
      { send: 'mg mgn N30 s t v c\r\n', expect: 'VA 0 s0 t30 c{c} Z\r\n\r\n' },
      { send: 'mg mgn v\r\n', expect: 'VA 0 Z\r\n\r\n' },
      { send: 'mg mgn2 N30 q\r\nmg mgn2 q k\r\n', expect: 'HD W\r\nHD kmgn2 Z\r\n' },
      { send: 'set mgn 0 0 2\r\nok\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgn v\r\n', expect: 'VA 2\r\nok\r\n' },
    ],
  },
  {
    name: 'mg R wins a recache when the TTL is below the token, once',
    steps: [
      { send: 'set mgr 0 100 2\r\nhi\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgr R50 t\r\n', expect: 'HD t100\r\n' },
      { send: 'mg mgr R200 t\r\n', expect: 'HD t100 W\r\n' },
      { send: 'mg mgr R200 t\r\n', expect: 'HD t100 Z\r\n' },
      { send: 'set mgr2 0 0 2\r\nhi\r\n', expect: 'STORED\r\n' },
      { send: 'mg mgr2 R200\r\n', expect: 'HD\r\n' },
    ],
  },
  {
    name: 'mg opaque tokens: up to 32 bytes with the O',
    steps: [
      { send: 'set mgo 0 0 1\r\nx\r\n', expect: 'STORED\r\n' },
      { send: `mg mgo O${'1'.repeat(31)}\r\n`, expect: `HD O${'1'.repeat(31)}\r\n` },
      { send: `mg mgo O${'1'.repeat(32)}\r\n`, expect: 'CLIENT_ERROR opaque token too long\r\n' },
      { send: 'mg mgo O\r\n', expect: 'HD O\r\n' },
    ],
  },
  {
    name: 'mg errors',
    steps: [
      { send: 'mg\r\n', expect: 'ERROR\r\n' },
      { send: 'mg mge !\r\n', expect: 'CLIENT_ERROR invalid flag\r\n' },
      { send: `mg ${'k'.repeat(251)} v\r\n`, expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'mx mge\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    name: 'base64 keys',
    steps: [
      { send: 'ms YmluYXJ5 2 b k c\r\nhi\r\n', expect: 'HD kYmluYXJ5 b c{c}\r\n' },
      { send: 'mg YmluYXJ5 b k v\r\n', expect: 'VA 2 kYmluYXJ5 b\r\nhi\r\n' },
      { send: 'mg YmluYXJ5 k v\r\n', expect: 'EN kYmluYXJ5\r\n' },
      { send: 'get binary\r\n', expect: 'VALUE binary 0 2\r\nhi\r\nEND\r\n' },
      { send: 'ms b64! 2 b\r\nhi\r\n', expect: 'CLIENT_ERROR error decoding key\r\n' },
      { send: 'md YmluYXJ5 b k\r\n', expect: 'HD kYmluYXJ5 b\r\n' },
    ],
  },
  {
    name: 'ms sets flags and TTL; q hides HD only',
    steps: [
      { send: 'ms msa 2 T0 F7\r\nhi\r\n', expect: 'HD\r\n' },
      { send: 'mg msa f t v\r\n', expect: 'VA 2 f7 t-1\r\nhi\r\n' },
      { send: 'ms msa 2 T100 q\r\nho\r\n', expect: '' },
      { send: 'mg msa t v\r\n', expect: 'VA 2 t100\r\nho\r\n' },
      { send: 'ms msa 2 O5 k\r\nhu\r\n', expect: 'HD O5 kmsa\r\n' },
      { send: 'ms msa 2 F-1\r\nhi\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
    ],
  },
  {
    name: 'ms modes: E add, A append, P prepend, R replace, S set',
    steps: [
      { send: 'ms msm 2\r\nxx\r\n', expect: 'HD\r\n' },
      { send: 'ms msm 2 ME\r\nyy\r\n', expect: 'NS\r\n' },
      { send: 'ms msm2 2 ME q\r\nyy\r\n', expect: '' },
      { send: 'ms msm 1 MA c\r\na\r\n', expect: 'HD c{c}\r\n' },
      { send: 'ms msm-missing 1 MA\r\na\r\n', expect: 'NS\r\n' },
      { send: 'ms msm 1 MP k\r\np\r\n', expect: 'HD kmsm\r\n' },
      { send: 'mg msm v\r\n', expect: 'VA 4\r\npxxa\r\n' },
      { send: 'ms msm-missing 1 MR\r\nq\r\n', expect: 'NS\r\n' },
      { send: 'ms msm 1 MR O9\r\nr\r\n', expect: 'HD O9\r\n' },
      { send: 'ms msm 1 MS\r\ns\r\n', expect: 'HD\r\n' },
      { send: 'mg msm v\r\n', expect: 'VA 1\r\ns\r\n' },
      { send: 'ms msm 1 MX\r\nw\r\n', expect: 'CLIENT_ERROR invalid mode for ms M token\r\n' },
      { send: 'ms msm 1 MSS\r\nw\r\n', expect: 'CLIENT_ERROR incorrect length for M token\r\n' },
    ],
  },
  {
    name: 'ms C compares the CAS',
    steps: [
      { send: 'ms msc 1\r\na\r\n', expect: 'HD\r\n' },
      { send: 'mg msc c\r\n', expect: 'HD c{c}\r\n' },
      { send: 'ms msc 1 C{c} c\r\nb\r\n', expect: 'HD c{c2}\r\n' },
      { send: 'ms msc 1 C{c}\r\nc\r\n', expect: 'EX\r\n' },
      { send: 'ms msc 1 C{c} q\r\nc\r\n', expect: 'EX\r\n' },
      { send: 'ms msc-missing 1 C5\r\nb\r\n', expect: 'NF\r\n' },
      { send: 'ms msc-missing 1 C5 MR\r\nb\r\n', expect: 'NF\r\n' },
      { send: 'ms msc-missing 1 C5 MA\r\nb\r\n', expect: 'NS\r\n' },
      { send: 'ms msc 1 C{c} MA\r\nb\r\n', expect: 'EX\r\n' },
      { send: 'ms msc 1 C{c} ME\r\nb\r\n', expect: 'NS\r\n' },
      { send: 'ms msc-new 1 C5 ME\r\nb\r\n', expect: 'HD\r\n' },
      { send: 'ms msc 1 Cx\r\nb\r\n', expect: 'CLIENT_ERROR bad token in command line format\r\n' },
      { send: 'mg msc v\r\n', expect: 'VA 1\r\nb\r\n' },
    ],
  },
  {
    name: 'ms errors swallow the data block',
    steps: [
      { send: 'ms mse\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'ms mse x\r\n', expect: 'CLIENT_ERROR bad command line format\r\n' },
      { send: 'ms mse 2 !\r\nhi\r\n', expect: 'CLIENT_ERROR invalid flag\r\n' },
      { send: 'ms mse 2\r\nhiya\r\n', expect: 'CLIENT_ERROR bad data chunk\r\nERROR\r\n' },
      { send: `ms mse 2000000 T0\r\n${'x'.repeat(2000000)}\r\n`, expect: 'SERVER_ERROR object too large for cache\r\n' },
      { send: 'mg mse v\r\n', expect: 'EN\r\n' },
    ],
  },
  {
    name: 'ms I with an older CAS stores the value as stale',
    steps: [
      { send: 'ms msi 1 T100\r\na\r\n', expect: 'HD\r\n' },
      { send: 'mg msi c\r\n', expect: 'HD c{c}\r\n' },
      { send: 'ms msi 1 C{c} c T100\r\nb\r\n', expect: 'HD c{c2}\r\n' },
      { send: 'ms msi 1 I C{c}\r\nc\r\n', expect: 'HD\r\n' },
      { send: 'mg msi v t\r\n', expect: 'VA 1 t100 X W\r\nc\r\n' },
      { send: 'mg msi v\r\n', expect: 'VA 1 Z X\r\nc\r\n' },
    ],
  },
  {
    name: 'md deletes; q hides HD; NF and EX always answer',
    steps: [
      { send: 'md mdd\r\n', expect: 'NF\r\n' },
      { send: 'md mdd q\r\n', expect: 'NF\r\n' },
      { send: 'set mdd 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'md mdd q\r\n', expect: '' },
      { send: 'mg mdd v\r\n', expect: 'EN\r\n' },
      { send: 'set mdd 0 0 1\r\na\r\n', expect: 'STORED\r\n' },
      { send: 'md mdd C1 O3 k\r\n', expect: 'EX O3 kmdd\r\n' },
      { send: 'mg mdd c\r\n', expect: 'HD c{c}\r\n' },
      { send: 'md mdd C{c} k O3\r\n', expect: 'HD kmdd O3\r\n' },
      { send: 'md mdd Cx\r\n', expect: 'CLIENT_ERROR invalid or duplicate flag\r\n' },
      { send: 'md mdd !\r\n', expect: 'CLIENT_ERROR invalid or duplicate flag\r\n' },
      { send: 'md\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    name: 'md I marks stale: new CAS, X, the next reader wins',
    steps: [
      { send: 'set mdi 0 0 2\r\nhi\r\n', expect: 'STORED\r\n' },
      { send: 'mg mdi c\r\n', expect: 'HD c{c}\r\n' },
      // One write: both commands read in the same batch, so no second boundary falls between T30 and t30.
      { send: 'md mdi I T30\r\nmg mdi v t\r\n', expect: 'HD\r\nVA 2 t30 X W\r\nhi\r\n' },
      { send: 'mg mdi v\r\n', expect: 'VA 2 Z X\r\nhi\r\n' },
      { send: 'md mdi q I\r\n', expect: '' },
      { send: 'mg mdi s\r\n', expect: 'HD s2 X W\r\n' },
      { send: 'ms mdi 2 C{c}\r\nno\r\n', expect: 'EX\r\n' },
      { send: 'ms mdi 2\r\nok\r\n', expect: 'HD\r\n' },
      { send: 'mg mdi v\r\n', expect: 'VA 2\r\nok\r\n' },
    ],
  },
  {
    name: 'ma increments and decrements',
    steps: [
      { send: 'ma maa\r\n', expect: 'NF\r\n' },
      { send: 'ma maa N0 J10 v\r\n', expect: 'VA 2\r\n10\r\n' },
      { send: 'ma maa v\r\n', expect: 'VA 2\r\n11\r\n' },
      { send: 'ma maa MD D3 v t c\r\n', expect: 'VA 1 t-1 c{c}\r\n8\r\n' },
      { send: 'ma maa M- v\r\nma maa M+ D5 v\r\nma maa MI v\r\n', expect: 'VA 1\r\n7\r\nVA 2\r\n12\r\nVA 2\r\n13\r\n' },
      { send: 'ma maa q\r\nma maa q v\r\n', expect: '' },
      { send: 'ma maa MD D100 v\r\n', expect: 'VA 1\r\n0\r\n' },
      { send: 'ma maa O7 k\r\n', expect: 'HD O7 kmaa\r\n' },
      { send: 'ma maa-missing q\r\n', expect: 'NF\r\n' },
      { send: 'ma maa-missing2 q N0\r\n', expect: 'HD\r\n' },
      { send: 'ma maa-missing3 v k O1 q\r\n', expect: 'NF kmaa-missing3 O1\r\n' },
    ],
  },
  {
    name: 'ma N, J and T: TTLs applied in flag order',
    steps: [
      { send: 'ma man N30 J5 t v T60\r\n', expect: 'VA 1 t30\r\n5\r\n' },
      { send: 'ma man t v T60\r\n', expect: 'VA 1 t60\r\n6\r\n' },
      { send: 'ma man2 N30 t v\r\n', expect: 'VA 1 t30\r\n0\r\n' },
      { send: 'mg man2 t v\r\n', expect: 'VA 1 t30\r\n0\r\n' },
    ],
  },
  {
    name: 'ma C compares the CAS (C0 does not)',
    steps: [
      { send: 'set mac 0 0 1\r\n1\r\n', expect: 'STORED\r\n' },
      { send: 'mg mac c\r\n', expect: 'HD c{c}\r\n' },
      { send: 'ma mac C1 v\r\n', expect: 'EX\r\n' },
      { send: 'ma mac C{c} v c\r\n', expect: 'VA 1 c{c2}\r\n2\r\n' },
      { send: 'ma mac C0 v\r\n', expect: 'VA 1\r\n3\r\n' },
    ],
  },
  {
    name: 'ma errors',
    steps: [
      { send: 'set mae 0 0 2\r\nab\r\n', expect: 'STORED\r\n' },
      { send: 'ma mae\r\n', expect: 'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n' },
      { send: 'ma mae Mx\r\n', expect: 'CLIENT_ERROR invalid mode for ma M token\r\n' },
      { send: 'ma mae Dabc\r\n', expect: 'CLIENT_ERROR invalid or duplicate flag\r\n' },
      { send: 'ma mae Jabc\r\n', expect: 'CLIENT_ERROR invalid or duplicate flag\r\n' },
      { send: 'ma mae D1 D2\r\n', expect: 'CLIENT_ERROR invalid or duplicate flag\r\n' },
      { send: 'ma\r\n', expect: 'ERROR\r\n' },
    ],
  },
  {
    name: 'me shows item metadata',
    steps: [
      { send: 'set mea 5 100 3\r\nabc\r\n', expect: 'STORED\r\n' },
      { send: 'me mea\r\n', expect: 'ME mea exp=-100 la=0 cas={c} fetch=no cls=1 size=69\r\n' },
      { send: 'mg mea\r\nme mea\r\n', expect: 'HD\r\nME mea exp=-100 la=0 cas={c} fetch=yes cls=1 size=69\r\n' },
      { send: 'me mea-missing\r\n', expect: 'EN\r\n' },
      { send: 'set meb 0 0 2000\r\n' + 'z'.repeat(2000) + '\r\n', expect: 'STORED\r\n' },
      { send: 'me meb\r\n', expect: 'ME meb exp=-1 la=0 cas={c2} fetch=no cls=15 size=2062\r\n' },
    ],
  },
  {
    name: 'meta and text commands mix on one connection, pipelined',
    steps: [
      {
        send: 'set mix 0 0 1\r\n1\r\nmg mix v\r\nincr mix 1\r\nma mix v\r\nget mix\r\nmd mix\r\nget mix\r\n',
        expect: 'STORED\r\nVA 1\r\n1\r\n2\r\nVA 1\r\n3\r\nVALUE mix 0 1\r\n3\r\nEND\r\nHD\r\nEND\r\n',
      },
    ],
  },
];
