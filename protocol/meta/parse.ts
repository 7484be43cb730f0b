// The meta commands of memcached 1.6: mg, ms, md, ma, me, mn. Called by the
// text parser (protocol/text/parse.ts) for any two-byte command starting
// with 'm', once the line is tokenized.
//
//   mg <key> <flag>*      md <key> <flag>*     ma <key> <flag>*
//   ms <key> <datalen> <flag>*\r\n<data>\r\n
//   me <key> [b]          mn
//
// Checks in memcached's order: token count, key length (of the key as sent,
// before base64 decoding), flag count, flags (flags.ts), ms/ma mode, opaque
// length. Meta errors are always answered, `q` or not. An ms error found
// after its length token was read swallows the data block; earlier ones
// (bad length, too many flags) consume only the line.

import { valueTooLarge, type MetaFlags, type MetaRequest, type ParseResult, type ParserLimits, type SimpleRequest } from '../request.js';
import { REPLY } from '../text/replies.js';
import { fail, INCOMPLETE, ok, swallow } from '../text/results.js';
import { tokenEnd, tokenLength, tokenStart } from '../text/tokenize.js';
import { parseInt32Token } from '../text/numbers.js';
import { frameDataBlock } from '../text/store.js';
import { decodeBase64Key } from './base64.js';
import { decodedKey, MAX_OPAQUE_TOKEN, opaqueTokenLength, parseMetaFlags } from './flags.js';

/** memcached's MFLAG_MAX_OPT_LENGTH: at most 20 tokens, its terminal token included. */
const MAX_META_TOKENS = 19;
/** memcached refuses a declared length above INT_MAX - 2. */
const MAX_DECLARED_LENGTH = 2147483647 - 2;
const NO_VALUE = Buffer.alloc(0);

/** The ms modes (M flag) and ma modes memcached accepts. */
const MS_MODES = 'EAPRS';
const MA_MODES = 'I+D-';

function metaRequest(
  type: MetaRequest['type'],
  buf: Buffer,
  flags: MetaFlags,
  value: Buffer,
): MetaRequest {
  const key = decodedKey ?? buf.subarray(tokenStart[1]!, tokenEnd[1]!);
  return {
    protocol: 'meta',
    quiet: flags.has('q'),
    opaque: 0,
    binaryOpcode: 0,
    type,
    key,
    base64Key: decodedKey !== null,
    flags,
    value,
  };
}

/** The client flags an `ms` stores (its F token, already checked as a uint32 by parseMetaFlags), 0 without one. */
function clientFlagsOf(flags: MetaFlags): number {
  const token = flags.get('F');
  return typeof token === 'string' ? Number(token) : 0;
}

/** Mode letter given with M, if it is not among `allowed`. */
function badMode(flags: MetaFlags, allowed: string): boolean {
  const mode = flags.get('M');
  return typeof mode === 'string' && !allowed.includes(mode);
}

/**
 * Parse a meta command line of `n` tokens; the command is `m` + `letter`.
 * `next` is the offset just past the line's '\n'.
 */
export function parseMetaCommand(
  buf: Buffer,
  offset: number,
  n: number,
  next: number,
  letter: number,
  limits: ParserLimits,
): ParseResult {
  const lineBytes = next - offset;
  switch (letter) {
    case 103 /* g */:
    case 100 /* d */:
    case 97 /* a */:
      return parseKeyOnly(buf, n, lineBytes, letter, limits);
    case 115 /* s */:
      return parseMetaSet(buf, n, next, lineBytes, limits);
    case 110 /* n */: {
      const request: SimpleRequest = { protocol: 'meta', quiet: false, opaque: 0, binaryOpcode: 0, type: 'mn', arg: 0 };
      return ok(request, lineBytes);
    }
    case 101 /* e */:
      return parseMetaDebug(buf, n, lineBytes, limits);
    default:
      return fail(REPLY.ERROR, lineBytes);
  }
}

/** mg, md, ma: key and flags, no data block. */
function parseKeyOnly(buf: Buffer, n: number, lineBytes: number, letter: number, limits: ParserLimits): ParseResult {
  if (n < 2) return fail(REPLY.ERROR, lineBytes);
  if (tokenLength(1) > limits.maxKeyBytes) return fail(REPLY.CLIENT_ERROR_BAD_FORMAT, lineBytes);
  const isGet = letter === 103;
  if (n > MAX_META_TOKENS) {
    return fail(isGet ? REPLY.CLIENT_ERROR_MG_TOO_MANY_FLAGS : REPLY.CLIENT_ERROR_TOO_MANY_FLAGS, lineBytes);
  }
  const flags: MetaFlags = new Map();
  const error = parseMetaFlags(buf, 2, n, flags, REPLY.CLIENT_ERROR_BAD_FORMAT);
  if (error !== null) return fail(isGet ? error : REPLY.CLIENT_ERROR_INVALID_OR_DUPLICATE_FLAG, lineBytes);
  if (letter === 97 && badMode(flags, MA_MODES)) return fail(REPLY.CLIENT_ERROR_INVALID_MA_MODE, lineBytes);
  if (opaqueTokenLength > MAX_OPAQUE_TOKEN) return fail(REPLY.CLIENT_ERROR_OPAQUE_TOO_LONG, lineBytes);
  const type = isGet ? 'mg' : letter === 100 ? 'md' : 'ma';
  return ok(metaRequest(type, buf, flags, NO_VALUE), lineBytes);
}

/** ms <key> <datalen> <flag>*, then the data block. */
function parseMetaSet(buf: Buffer, n: number, next: number, lineBytes: number, limits: ParserLimits): ParseResult {
  if (n < 2) return fail(REPLY.ERROR, lineBytes);
  if (tokenLength(1) > limits.maxKeyBytes || n === 2) return fail(REPLY.CLIENT_ERROR_BAD_FORMAT, lineBytes);
  if (n > MAX_META_TOKENS) return fail(REPLY.CLIENT_ERROR_TOO_MANY_FLAGS, lineBytes);
  const length = parseInt32Token(buf, tokenStart[2]!, tokenEnd[2]!);
  if (Number.isNaN(length) || length < 0 || length > MAX_DECLARED_LENGTH) {
    return fail(REPLY.CLIENT_ERROR_BAD_FORMAT, lineBytes);
  }
  // From here on memcached knows the block length and swallows it on error.
  const remaining = length + 2;
  const flags: MetaFlags = new Map();
  const error = parseMetaFlags(buf, 3, n, flags, REPLY.CLIENT_ERROR_BAD_FORMAT);
  if (error !== null) return swallow(error, lineBytes, remaining);
  if (badMode(flags, MS_MODES)) return swallow(REPLY.CLIENT_ERROR_INVALID_MS_MODE, lineBytes, remaining);
  if (opaqueTokenLength > MAX_OPAQUE_TOKEN) return swallow(REPLY.CLIENT_ERROR_OPAQUE_TOO_LONG, lineBytes, remaining);
  // Only near the limit does the item's exact size matter: the key as sent
  // (never shorter than decoded) and nonzero flags bound it from above.
  if (valueTooLarge(limits, tokenLength(1), 1, length)) {
    // parseMetaFlags has decoded a base64 (b) key already.
    const itemKey = decodedKey ?? buf.subarray(tokenStart[1]!, tokenEnd[1]!);
    if (valueTooLarge(limits, itemKey.length, clientFlagsOf(flags), length)) {
      // memcached unlinks the key's old value, whatever the mode.
      return swallow(REPLY.SERVER_ERROR_TOO_LARGE, lineBytes, remaining, itemKey, true);
    }
  }

  const framing = frameDataBlock(buf, next, length);
  if (framing === 'incomplete') return INCOMPLETE;
  const consumed = lineBytes + remaining;
  if (framing === 'bad') return fail(REPLY.CLIENT_ERROR_BAD_DATA_CHUNK, consumed);
  return ok(metaRequest('ms', buf, flags, buf.subarray(next, next + length)), consumed);
}

const B_FLAG: MetaFlags = new Map([['b', true]]);

/** me <key> [b]: memcached only looks for `b` right after the key. */
function parseMetaDebug(buf: Buffer, n: number, lineBytes: number, limits: ParserLimits): ParseResult {
  if (n < 2 || tokenLength(1) > limits.maxKeyBytes) return fail(REPLY.CLIENT_ERROR_BAD_FORMAT, lineBytes);
  let key: Buffer;
  let base64 = false;
  if (n >= 3 && tokenLength(2) === 1 && buf[tokenStart[2]!] === 98 /* b */) {
    const decoded = decodeBase64Key(buf, tokenStart[1]!, tokenEnd[1]!);
    if (decoded === null) return fail(REPLY.CLIENT_ERROR_BAD_FORMAT, lineBytes);
    key = decoded;
    base64 = true;
  } else {
    key = buf.subarray(tokenStart[1]!, tokenEnd[1]!);
  }
  const request: MetaRequest = {
    protocol: 'meta',
    quiet: false,
    opaque: 0,
    binaryOpcode: 0,
    type: 'me',
    key,
    base64Key: base64,
    flags: base64 ? new Map(B_FLAG) : new Map(),
    value: NO_VALUE,
  };
  return ok(request, lineBytes);
}
