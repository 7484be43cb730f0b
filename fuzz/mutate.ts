// Mutations that turn valid request streams into the broken ones clients and
// attackers send: bit flips, interesting bytes, insertions and deletions,
// splices of two streams, truncation, lying length fields (text length
// tokens, binary keylen/extlen/bodylen), huge and negative numbers, and
// protocol mix-ups. Each mutation is a pure function of (rng, input).

import type { Rng } from './rng.js';

/** Bytes that change how a parser frames input. */
const INTERESTING_BYTES = [0x00, 0x0a, 0x0d, 0x20, 0x09, 0x80, 0x81, 0xff, 0x7f, 0x30, 0x39, 0x2d];

/** Tokens worth inserting into text streams. */
const INTERESTING_TOKENS = [
  ' ', '  ', '\r\n', '\n', '\r', '\0', ' noreply', ' q', ' b', ' v', ' k', ' T-1', ' N0', ' MX', ' O' + 'x'.repeat(40),
  'get ', 'gets ', 'set k 0 0 ', 'ms k ', 'mg ', 'quit\r\n', 'HTTP/1.1\r\n', 'GET / HTTP/1.1\r\n', 'x'.repeat(251),
  ' '.repeat(120), 'get ' + 'k '.repeat(300),
];

/** Numbers that break naive integer parsing. */
const HUGE_NUMBERS = [
  '-1', '-0', '0', '2147483647', '2147483648', '4294967295', '4294967296', '9007199254740993',
  '18446744073709551615', '18446744073709551616', '99999999999999999999999999', '1e3', '0x10', '+5', '007',
];

type Mutator = (rng: Rng, input: Buffer, other: Buffer) => Buffer;

function at(rng: Rng, input: Buffer): number {
  return input.length === 0 ? 0 : rng.int(input.length);
}

const flipBit: Mutator = (rng, input) => {
  if (input.length === 0) return input;
  const out = Buffer.from(input);
  const i = at(rng, out);
  out[i] = (out[i] as number) ^ (1 << rng.int(8));
  return out;
};

const setInterestingByte: Mutator = (rng, input) => {
  if (input.length === 0) return input;
  const out = Buffer.from(input);
  out[at(rng, out)] = rng.chance(0.8) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
  return out;
};

const insertToken: Mutator = (rng, input) => {
  const i = rng.int(input.length + 1);
  const token = rng.chance(0.7) ? Buffer.from(rng.pick(INTERESTING_TOKENS), 'latin1') : rng.bytes(rng.range(1, 16));
  return Buffer.concat([input.subarray(0, i), token, input.subarray(i)]);
};

const deleteRange: Mutator = (rng, input) => {
  if (input.length === 0) return input;
  const i = at(rng, input);
  const n = rng.range(1, Math.min(32, input.length - i));
  return Buffer.concat([input.subarray(0, i), input.subarray(i + n)]);
};

const duplicateRange: Mutator = (rng, input) => {
  if (input.length === 0) return input;
  const i = at(rng, input);
  const n = rng.range(1, Math.min(64, input.length - i));
  const copies = rng.range(1, 4);
  const piece = input.subarray(i, i + n);
  return Buffer.concat([input.subarray(0, i + n), ...Array.from({ length: copies }, () => piece), input.subarray(i + n)]);
};

const truncate: Mutator = (rng, input) => input.subarray(0, rng.int(input.length + 1));

const splice: Mutator = (rng, input, other) => {
  const i = rng.int(input.length + 1);
  const j = rng.int(other.length + 1);
  return Buffer.concat([input.subarray(0, i), other.subarray(j)]);
};

/** Replace a run of digits (a length, flags, exptime, delta...) with another number. */
const lieAboutNumber: Mutator = (rng, input) => {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < input.length; i++) {
    if (isDigit(input[i] as number) && (i === 0 || !isDigit(input[i - 1] as number))) {
      let j = i;
      while (j < input.length && isDigit(input[j] as number)) j++;
      runs.push([i, j]);
      if (runs.length > 64) break;
    }
  }
  if (runs.length === 0) return insertToken(rng, input, input);
  const [s, e] = rng.pick(runs);
  const old = Number(input.toString('latin1', s, e));
  let replacement: string;
  if (rng.chance(0.5)) replacement = rng.pick(HUGE_NUMBERS);
  else replacement = String(Math.max(0, old + rng.range(-3, 3)));
  return Buffer.concat([input.subarray(0, s), Buffer.from(replacement, 'latin1'), input.subarray(e)]);
};

/** Rewrite a length field (or opcode/magic) of a binary header found in the stream. */
const lieInBinaryHeader: Mutator = (rng, input) => {
  const starts: number[] = [];
  for (let i = 0; i + 24 <= input.length; i++) if (input[i] === 0x80) starts.push(i);
  if (starts.length === 0) return setInterestingByte(rng, input, input);
  const h = rng.pick(starts);
  const out = Buffer.from(input);
  switch (rng.int(6)) {
    case 0:
      out.writeUInt16BE(rng.pick([0, 1, 250, 251, 0xffff, out.readUInt16BE(h + 2) + rng.range(-2, 2)]) & 0xffff, h + 2);
      break;
    case 1:
      out[h + 4] = rng.pick([0, 4, 8, 20, 255, rng.int(256)]);
      break;
    case 2: {
      const body = out.readUInt32BE(h + 8);
      out.writeUInt32BE(rng.pick([0, 1, 0xffffffff, 0x7fffffff, 2 * 1024 * 1024, Math.max(0, body + rng.range(-8, 8))]) >>> 0, h + 8);
      break;
    }
    case 3:
      out[h + 1] = rng.int(256);
      break;
    case 4:
      out[h] = rng.pick([0x81, 0x00, 0x7f]);
      break;
    default:
      out[h + 5] = rng.int(256); // datatype
      out.writeUInt16BE(rng.int(0x10000), h + 6); // vbucket
  }
  return out;
};

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

const MUTATORS: ReadonlyArray<[weight: number, fn: Mutator]> = [
  [3, flipBit],
  [4, setInterestingByte],
  [4, insertToken],
  [3, deleteRange],
  [2, duplicateRange],
  [2, truncate],
  [2, splice],
  [5, lieAboutNumber],
  [4, lieInBinaryHeader],
];
const TOTAL_WEIGHT = MUTATORS.reduce((n, [w]) => n + w, 0);

/** Apply 1..maxSteps random mutations; `other` supplies splice material. */
export function mutate(rng: Rng, input: Buffer, other: Buffer, maxSteps = 4): Buffer {
  let out = input;
  const steps = rng.range(1, maxSteps);
  for (let s = 0; s < steps; s++) {
    let r = rng.int(TOTAL_WEIGHT);
    for (const [w, fn] of MUTATORS) {
      if (r < w) {
        out = fn(rng, out, other);
        break;
      }
      r -= w;
    }
  }
  return out;
}

/** Cut `stream` into random pieces, as TCP may deliver it (random splits). */
export function randomSplits(rng: Rng, stream: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < stream.length) {
    const r = rng.next();
    const n = r < 0.2 ? 1 : r < 0.5 ? rng.range(1, 16) : r < 0.8 ? rng.range(16, 1024) : stream.length - i;
    parts.push(stream.subarray(i, i + n));
    i += n;
  }
  return parts;
}
