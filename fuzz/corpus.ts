// Valid requests of all three protocols, built from a seeded Rng: the seeds
// the mutators start from. Every command memcached 1.6.18 answers appears,
// with its variants (noreply / q, CAS, base64 keys, every meta flag, every
// binary opcode with correct lengths), over a small pool of keys so gets
// hit what sets wrote.
//
// Keys never start with FUZZ_RESERVED_PREFIX: the live fuzzer keeps its
// sentinel and probes there.

import type { Rng } from './rng.js';

export type Protocol = 'text' | 'meta' | 'binary';

/** Keys under this prefix are never generated (sentinel, probes). */
export const FUZZ_RESERVED_PREFIX = 'zz:';

export interface CorpusOptions {
  /** The server's -I: values go up to it, and a few just past it. */
  maxValueBytes: number;
}

const KEY_BYTES = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:.!#$%&*+/=?@^|~';

function key(rng: Rng): string {
  const r = rng.next();
  if (r < 0.7) return `k${rng.int(64)}`;
  if (r < 0.95) {
    let s = '';
    const n = rng.range(1, 40);
    for (let i = 0; i < n; i++) s += KEY_BYTES[rng.int(KEY_BYTES.length)];
    return s.startsWith(FUZZ_RESERVED_PREFIX) ? `k${s}` : s;
  }
  // The longest legal key.
  return 'L'.repeat(250);
}

function valueBytes(rng: Rng, opts: CorpusOptions): Buffer {
  const r = rng.next();
  let n: number;
  if (r < 0.97) n = rng.size(Math.min(opts.maxValueBytes, 8192));
  else if (r < 0.99) n = opts.maxValueBytes - rng.int(64);
  else n = opts.maxValueBytes + 1 + rng.int(64);
  return rng.chance(0.5) ? Buffer.alloc(Math.max(0, n), 0x61 + rng.int(26)) : rng.bytes(Math.max(0, n));
}

function noreply(rng: Rng): string {
  return rng.chance(0.2) ? ' noreply' : '';
}

function exptime(rng: Rng): number {
  return rng.pick([0, 0, 0, 1, 30, 3600, -1, 2592000, 2592001]);
}

function line(text: string): Buffer {
  return Buffer.from(text + '\r\n', 'latin1');
}

/** One valid text-protocol request. */
export function textRequest(rng: Rng, opts: CorpusOptions): Buffer {
  const k = key(rng);
  switch (rng.int(16)) {
    case 0:
    case 1: {
      const n = rng.range(1, rng.chance(0.1) ? 100 : 4);
      const keys = Array.from({ length: n }, () => key(rng)).join(' ');
      return line(`${rng.pick(['get', 'gets', 'bget'])} ${keys}`);
    }
    case 2:
      return line(`${rng.pick(['gat', 'gats'])} ${exptime(rng)} ${k} ${key(rng)}`);
    case 3:
    case 4:
    case 5: {
      const v = valueBytes(rng, opts);
      const cmd = rng.pick(['set', 'set', 'add', 'replace', 'append', 'prepend', 'cas']);
      const cas = cmd === 'cas' ? ` ${rng.int(1000)}` : '';
      const head = line(`${cmd} ${k} ${rng.pick([0, 1, 4294967295])} ${exptime(rng)} ${v.length}${cas}${noreply(rng)}`);
      return Buffer.concat([head, v, Buffer.from('\r\n')]);
    }
    case 6:
      return line(`${rng.pick(['incr', 'decr'])} ${k} ${rng.pick(['1', '0', '42', '18446744073709551615'])}${noreply(rng)}`);
    case 7:
      return line(`touch ${k} ${exptime(rng)}${noreply(rng)}`);
    case 8:
      return line(`delete ${k}${rng.chance(0.1) ? ' 0' : ''}${noreply(rng)}`);
    case 9:
      return line(rng.pick(['version', 'verbosity 0', 'verbosity 1 noreply', 'flush_all', 'flush_all 10 noreply', 'shutdown']));
    case 10:
      return line(rng.pick(['stats', 'stats settings', 'stats items', 'stats slabs', 'stats sizes', 'stats conns', 'stats detail dump', 'stats nonsense']));
    case 11:
      return line(rng.pick(['cache_memlimit 100', 'cache_memlimit 0', 'mn']));
    default:
      return metaRequest(rng, opts);
  }
}

const MG_FLAGS = ['v', 'k', 'c', 'f', 'h', 'l', 's', 't', 'q', 'u', 'O123', 'T30', 'N30', 'R10', 'E5'];
const MS_FLAGS = ['c', 'k', 'q', 'I', 'T0', 'T60', 'F5', 'C0', 'MS', 'ME', 'MA', 'MP', 'MR', 'Oab'];
const MA_FLAGS = ['N0', 'J13', 'D2', 'T0', 'MI', 'M+', 'MD', 'M-', 'v', 't', 'c', 'q', 'k', 'O1'];
const MD_FLAGS = ['q', 'I', 'T30', 'k', 'O9', 'C1'];

function flags(rng: Rng, pool: readonly string[]): string {
  const chosen = new Set<string>();
  const n = rng.int(5);
  for (let i = 0; i < n; i++) chosen.add(rng.pick(pool));
  // One of each letter: memcached refuses repeats.
  const byLetter = new Map<string, string>();
  for (const f of chosen) byLetter.set(f[0] as string, f);
  return [...byLetter.values()].map((f) => ` ${f}`).join('');
}

/** One valid meta request (mg, ms, md, ma, me, mn). */
export function metaRequest(rng: Rng, opts: CorpusOptions): Buffer {
  const plain = key(rng);
  const b64 = rng.chance(0.15);
  const k = b64 ? Buffer.from(plain.slice(0, 180), 'latin1').toString('base64') : plain;
  const bFlag = b64 ? ' b' : '';
  switch (rng.int(6)) {
    case 0:
    case 1:
      return line(`mg ${k}${bFlag}${flags(rng, MG_FLAGS)}`);
    case 2: {
      const v = valueBytes(rng, opts);
      return Buffer.concat([line(`ms ${k} ${v.length}${bFlag}${flags(rng, MS_FLAGS)}`), v, Buffer.from('\r\n')]);
    }
    case 3:
      return line(`md ${k}${bFlag}${flags(rng, MD_FLAGS)}`);
    case 4:
      return line(`ma ${k}${bFlag}${flags(rng, MA_FLAGS)}`);
    default:
      return line(rng.chance(0.5) ? 'mn' : `me ${k}${bFlag}`);
  }
}

// ---- binary ------------------------------------------------------------------

export interface BinaryPacket {
  opcode: number;
  key?: Buffer;
  extras?: Buffer;
  value?: Buffer;
  opaque?: number;
  cas?: bigint;
}

/** Encode a request packet with correct lengths. */
export function binaryPacket(p: BinaryPacket): Buffer {
  const key = p.key ?? Buffer.alloc(0);
  const extras = p.extras ?? Buffer.alloc(0);
  const value = p.value ?? Buffer.alloc(0);
  const h = Buffer.alloc(24);
  h[0] = 0x80;
  h[1] = p.opcode;
  h.writeUInt16BE(key.length, 2);
  h[4] = extras.length;
  h.writeUInt32BE(extras.length + key.length + value.length, 8);
  h.writeUInt32BE(p.opaque ?? 0, 12);
  h.writeBigUInt64BE(p.cas ?? 0n, 16);
  return Buffer.concat([h, extras, key, value]);
}

function u32s(...ns: number[]): Buffer {
  const b = Buffer.alloc(4 * ns.length);
  ns.forEach((n, i) => b.writeUInt32BE(n >>> 0, 4 * i));
  return b;
}

function arithExtras(rng: Rng): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(BigInt(rng.pick([0, 1, 7, 1000])), 0);
  b.writeBigUInt64BE(BigInt(rng.pick([0, 5, 99])), 8);
  b.writeUInt32BE(rng.pick([0, 60, 0xffffffff]), 16);
  return b;
}

/** One valid binary request (every opcode memcached 1.6.18 implements). */
export function binaryRequest(rng: Rng, opts: CorpusOptions): Buffer {
  const k = Buffer.from(key(rng), 'latin1');
  const opaque = rng.u32();
  const q = rng.chance(0.3);
  const exp = exptime(rng) >>> 0;
  switch (rng.int(14)) {
    case 0:
    case 1:
      return binaryPacket({ opcode: rng.pick([0x00, 0x09, 0x0c, 0x0d]), key: k, opaque });
    case 2:
      return binaryPacket({ opcode: rng.pick([0x1d, 0x1e, 0x23, 0x24]), key: k, extras: u32s(exp), opaque });
    case 3:
      return binaryPacket({ opcode: 0x1c, key: k, extras: u32s(exp), opaque });
    case 4:
    case 5:
      return binaryPacket({
        opcode: q ? rng.pick([0x11, 0x12, 0x13]) : rng.pick([0x01, 0x01, 0x02, 0x03]),
        key: k,
        extras: u32s(rng.u32(), exp),
        value: valueBytes(rng, opts),
        opaque,
        cas: rng.chance(0.1) ? BigInt(rng.int(1000)) : 0n,
      });
    case 6:
      return binaryPacket({ opcode: q ? rng.pick([0x19, 0x1a]) : rng.pick([0x0e, 0x0f]), key: k, value: valueBytes(rng, opts), opaque });
    case 7:
      return binaryPacket({ opcode: q ? 0x14 : 0x04, key: k, opaque });
    case 8:
      return binaryPacket({ opcode: q ? rng.pick([0x15, 0x16]) : rng.pick([0x05, 0x06]), key: k, extras: arithExtras(rng), opaque });
    case 9:
      return binaryPacket({ opcode: rng.pick([0x0a, 0x0b, 0x20]), opaque });
    case 10:
      return binaryPacket({ opcode: rng.pick([0x08, 0x18]), extras: rng.chance(0.5) ? u32s(rng.int(100)) : Buffer.alloc(0), opaque });
    case 11: {
      const group = rng.pick(['', 'settings', 'items', 'slabs', 'sizes', 'conns', 'nonsense']);
      return binaryPacket({ opcode: 0x10, key: Buffer.from(group, 'latin1'), opaque });
    }
    case 12:
      return binaryPacket({ opcode: rng.pick([0x21, 0x22]), key: Buffer.from('PLAIN'), value: Buffer.from('\0user\0pass'), opaque });
    default:
      return binaryPacket({ opcode: 0x0a, opaque });
  }
}

/** One valid request of `protocol`. */
export function validRequest(rng: Rng, protocol: Protocol, opts: CorpusOptions): Buffer {
  if (protocol === 'binary') return binaryRequest(rng, opts);
  if (protocol === 'meta') return metaRequest(rng, opts);
  return textRequest(rng, opts);
}

/** A pipeline of 1..max valid requests of one protocol family (text and meta mix). */
export function validStream(rng: Rng, protocol: Protocol, opts: CorpusOptions, max = 8): Buffer {
  const n = rng.range(1, max);
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const p: Protocol = protocol === 'binary' ? 'binary' : rng.chance(0.3) ? 'meta' : 'text';
    parts.push(validRequest(rng, p, opts));
  }
  return Buffer.concat(parts);
}
