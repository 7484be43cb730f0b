// Number parsing for meta flag tokens (`T30`, `C123`, `D5`...), with the
// ranges memcached's safe_strtol / safe_strtoul / safe_strtoull accept.
//
// A flag given without a token (`T` alone) is as invalid as `Tabc`. Each
// function returns undefined when the token is bad, so the caller can pick
// the command's own error wording.

import type { MetaFlags } from '../request.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;
const UINT64_MAX = (1n << 64n) - 1n;

const SIGNED = /^[+-]?[0-9]+$/;
const UNSIGNED = /^\+?[0-9]+$/;

/** Signed 32-bit token (TTLs: T, N, R). */
export function int32Token(token: string | true): number | undefined {
  if (token === true || !SIGNED.test(token)) return undefined;
  const n = Number(token);
  return n >= INT32_MIN && n <= INT32_MAX ? n : undefined;
}

/** Unsigned 32-bit token (client flags: F). */
export function uint32Token(token: string | true): number | undefined {
  if (token === true || !UNSIGNED.test(token)) return undefined;
  const n = Number(token);
  return n <= UINT32_MAX ? n : undefined;
}

/** Unsigned 64-bit token (CAS, delta, initial: C, D, J). */
export function uint64Token(token: string | true): bigint | undefined {
  if (token === true || !UNSIGNED.test(token)) return undefined;
  const n = BigInt(token);
  return n <= UINT64_MAX ? n : undefined;
}

/**
 * A CAS token as the store's number type. CAS values above 2^53 cannot be
 * held by the store, so such a token can never match: map it to a value no
 * item has (the largest safe integer) rather than losing precision into a
 * false match.
 */
export function casNumber(cas: bigint): number {
  return cas > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cas);
}

/** Parsed numeric flags of one meta request; `bad` names the first invalid flag. */
export interface MetaNumbers {
  bad: string | undefined;
  /** T */
  ttl: number | undefined;
  /** N */
  vivifyTtl: number | undefined;
  /** R */
  recacheTtl: number | undefined;
  /** F */
  clientFlags: number;
  /** C; undefined when absent. */
  cas: bigint | undefined;
  /** D, default 1 */
  delta: bigint;
  /** J, default 0 */
  initial: bigint;
}

/** Parse every numeric flag present; unknown or non-numeric flags are ignored here. */
export function parseMetaNumbers(flags: MetaFlags): MetaNumbers {
  const out: MetaNumbers = {
    bad: undefined,
    ttl: undefined,
    vivifyTtl: undefined,
    recacheTtl: undefined,
    clientFlags: 0,
    cas: undefined,
    delta: 1n,
    initial: 0n,
  };
  for (const [flag, token] of flags) {
    switch (flag) {
      case 'T':
        out.ttl = int32Token(token);
        if (out.ttl === undefined) out.bad ??= flag;
        break;
      case 'N':
        out.vivifyTtl = int32Token(token);
        if (out.vivifyTtl === undefined) out.bad ??= flag;
        break;
      case 'R':
        out.recacheTtl = int32Token(token);
        if (out.recacheTtl === undefined) out.bad ??= flag;
        break;
      case 'F': {
        const f = uint32Token(token);
        if (f === undefined) out.bad ??= flag;
        else out.clientFlags = f;
        break;
      }
      case 'C':
        out.cas = uint64Token(token);
        if (out.cas === undefined) out.bad ??= flag;
        break;
      case 'D': {
        const d = uint64Token(token);
        if (d === undefined) out.bad ??= flag;
        else out.delta = d;
        break;
      }
      case 'J': {
        const j = uint64Token(token);
        if (j === undefined) out.bad ??= flag;
        else out.initial = j;
        break;
      }
    }
  }
  return out;
}
