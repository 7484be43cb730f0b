// Validation of meta command flags (the tokens after the key of mg, ms, md,
// ma), following memcached 1.6's _meta_flag_preparse, into the MetaFlags map
// of request.ts.
//
// Every command accepts the same flag letters (memcached ignores flags that
// mean nothing to a command): b c f h k l O P L q s t u v I and the ones
// with a numeric token, N T R (int32), F (uint32), C J D (uint64), plus
// M with exactly one mode character: 1.6.18's set. `E` (explicit new CAS)
// arrived in later releases; 1.6.18 refuses it as an invalid flag, so do we.
//
// Map values: `true` for a bare flag, the text after the letter otherwise.
// Numeric tokens are stored in canonical decimal as memcached's C parsers
// read them (`T+30` -> '30', `F4294967296` -> '0'), so the server can use
// Number() / BigInt() directly.
//
// Error precedence is memcached's: an unknown letter or a repeated one stops
// at once; other errors are remembered and the last one is reported.

import type { MetaFlags } from '../request.js';
import { REPLY } from '../text/replies.js';
import { tokenEnd, tokenStart } from '../text/tokenize.js';
import { parseInt32Token, parseUint32Token, parseUint64Token } from '../text/numbers.js';
import { decodeBase64Key } from './base64.js';

/** How each flag letter is validated. */
const enum Kind {
  Unknown = 0,
  Plain,
  Base64,
  Int32,
  Uint32,
  Uint64,
  Initial,
  Delta,
  Mode,
}

const KIND = new Uint8Array(128);
for (const c of 'cfhklOPLqstuvI') KIND[c.charCodeAt(0)] = Kind.Plain;
KIND['b'.charCodeAt(0)] = Kind.Base64;
for (const c of 'NTR') KIND[c.charCodeAt(0)] = Kind.Int32;
KIND['F'.charCodeAt(0)] = Kind.Uint32;
KIND['C'.charCodeAt(0)] = Kind.Uint64;
KIND['J'.charCodeAt(0)] = Kind.Initial;
KIND['D'.charCodeAt(0)] = Kind.Delta;
KIND['M'.charCodeAt(0)] = Kind.Mode;

/** One-character strings for map keys, made once. */
const LETTER: string[] = [];
for (let i = 0; i < 128; i++) LETTER.push(String.fromCharCode(i));

/** Longest `O` token memcached echoes, the `O` included. */
export const MAX_OPAQUE_TOKEN = 32;

/** Key decoded by the last call when it had a valid `b` flag, else null. */
export let decodedKey: Buffer | null = null;
/** Length of the last call's `O` token (letter included), 0 if none. */
export let opaqueTokenLength = 0;

/**
 * Validate flag tokens first..n-1 of the line last tokenized (token 1 is the
 * key), filling `into`. Returns null when all are valid, else the error
 * reply memcached gives for mg and ms (`defaultError` when the only fault is
 * a bad F token). md and ma answer one fixed error instead, whatever this
 * returns.
 */
export function parseMetaFlags(
  buf: Buffer,
  first: number,
  n: number,
  into: MetaFlags,
  defaultError: Buffer,
): Buffer | null {
  decodedKey = null;
  opaqueTokenLength = 0;
  let error: Buffer | null = null;
  // Letters seen so far, one bit per byte value 0..127.
  let seen0 = 0;
  let seen1 = 0;
  let seen2 = 0;
  let seen3 = 0;
  for (let t = first; t < n; t++) {
    const s = tokenStart[t]!;
    const e = tokenEnd[t]!;
    const letter = buf[s]!;
    if (letter >= 127) return REPLY.CLIENT_ERROR_DUPLICATE_FLAG;
    const bit = 1 << (letter & 31);
    const word = letter >> 5;
    const already = word === 0 ? seen0 & bit : word === 1 ? seen1 & bit : word === 2 ? seen2 & bit : seen3 & bit;
    if (already !== 0) return REPLY.CLIENT_ERROR_DUPLICATE_FLAG;
    if (word === 0) seen0 |= bit;
    else if (word === 1) seen1 |= bit;
    else if (word === 2) seen2 |= bit;
    else seen3 |= bit;

    let value: string | true = true;
    switch (KIND[letter] as Kind) {
      case Kind.Unknown:
        return REPLY.CLIENT_ERROR_INVALID_FLAG;
      case Kind.Plain:
        if (e - s > 1) value = buf.toString('latin1', s + 1, e);
        if (letter === 79 /* O */) opaqueTokenLength = e - s;
        break;
      case Kind.Base64: {
        // memcached decodes the (still encoded) key token in place here.
        const key = decodeBase64Key(buf, tokenStart[1]!, tokenEnd[1]!);
        if (key === null) error = REPLY.CLIENT_ERROR_DECODING_KEY;
        decodedKey = key;
        break;
      }
      case Kind.Int32: {
        const v = parseInt32Token(buf, s + 1, e);
        if (Number.isNaN(v)) error = REPLY.CLIENT_ERROR_BAD_TOKEN;
        else value = String(v);
        break;
      }
      case Kind.Uint32: {
        const v = parseUint32Token(buf, s + 1, e);
        // memcached flags the error without naming it.
        if (Number.isNaN(v)) error = error ?? defaultError;
        else value = String(v);
        break;
      }
      case Kind.Uint64:
      case Kind.Initial:
      case Kind.Delta: {
        const v = parseUint64Token(buf, s + 1, e);
        if (v === null) {
          const kind = KIND[letter] as Kind;
          error =
            kind === Kind.Initial
              ? REPLY.CLIENT_ERROR_INVALID_INITIAL
              : kind === Kind.Delta
                ? REPLY.CLIENT_ERROR_INVALID_DELTA_VALUE
                : REPLY.CLIENT_ERROR_BAD_TOKEN;
        } else {
          value = String(v);
        }
        break;
      }
      case Kind.Mode:
        if (e - s !== 2) error = REPLY.CLIENT_ERROR_M_TOKEN_LENGTH;
        else value = LETTER[buf[s + 1]!] ?? buf.toString('latin1', s + 1, e);
        break;
    }
    into.set(LETTER[letter]!, value);
  }
  return error;
}
