// Administrative text commands: flush_all, verbosity, cache_memlimit,
// shutdown, stats, version, quit, lru_crawler, watch, refresh_certs.
//
//   flush_all [delay] [noreply]      verbosity <level> [noreply]
//   cache_memlimit <mb> [noreply]    shutdown [graceful]
//   stats [group [args...]]          version          quit
//
// Only syntax is checked here; what needs server settings (-A for shutdown,
// -F for flush_all, memory bounds of cache_memlimit, stats groups) is the
// server's, with the replies in replies.ts.

import type { AdminRequest, FlushRequest, ParseResult, SimpleRequest, StatsRequest } from '../request.js';
import { REPLY } from './replies.js';
import { fail, ok } from './results.js';
import { ascii, lastTokenIsNoreply, tokenEnd, tokenEquals, tokenStart } from './tokenize.js';
import { parseInt32Token, parseUint32Token } from './numbers.js';

const GRACEFUL = ascii('graceful');

/** SimpleRequest.arg of a `shutdown` request. */
export const SHUTDOWN_MODE = Object.freeze({
  /** `shutdown`: stop now. */
  IMMEDIATE: 0,
  /** `shutdown graceful`. */
  GRACEFUL: 1,
  /** Any other argument: `CLIENT_ERROR invalid shutdown mode` when -A is on. */
  INVALID: 2,
});

function simple(type: SimpleRequest['type'], arg: number, quiet: boolean): SimpleRequest {
  return { protocol: 'text', quiet, opaque: 0, binaryOpcode: 0, type, arg };
}

/** version, quit: any arguments are ignored, as memcached does. */
export function parseNoArgs(offset: number, next: number, type: 'version' | 'quit'): ParseResult {
  return ok(simple(type, 0, false), next - offset);
}

/**
 * flush_all [delay] [noreply]. `delay` is memcached's raw int32: the server
 * treats <= 0 as "now". A server started with -F answers
 * REPLY.CLIENT_ERROR_FLUSH_NOT_ALLOWED to any well-formed flush_all.
 */
export function parseFlushAll(buf: Buffer, offset: number, n: number, next: number): ParseResult {
  const consumed = next - offset;
  if (n > 3) return fail(REPLY.ERROR, consumed);
  const noreply = lastTokenIsNoreply(buf, n);
  let delay = 0;
  // With `noreply` alone there is no delay token.
  if (n !== (noreply ? 2 : 1)) {
    delay = parseInt32Token(buf, tokenStart[1]!, tokenEnd[1]!);
    if (Number.isNaN(delay)) return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_INVALID_EXPTIME, consumed);
  }
  const request: FlushRequest = { protocol: 'text', quiet: noreply, opaque: 0, binaryOpcode: 0, type: 'flush_all', delay };
  return ok(request, consumed);
}

/** verbosity <level> [noreply]; arg = level as given (memcached caps it at 2). */
export function parseVerbosity(buf: Buffer, offset: number, n: number, next: number): ParseResult {
  const consumed = next - offset;
  if (n !== 2 && n !== 3) return fail(REPLY.ERROR, consumed);
  const noreply = lastTokenIsNoreply(buf, n);
  const level = parseUint32Token(buf, tokenStart[1]!, tokenEnd[1]!);
  if (Number.isNaN(level)) return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_BAD_FORMAT, consumed);
  return ok(simple('verbosity', level, noreply), consumed);
}

/**
 * cache_memlimit <mb> [noreply]; arg = megabytes. The server answers
 * MEMLIMIT_TOO_SMALL below 8 and MEMLIMIT_NOT_BYTES above 1000000000.
 */
export function parseCacheMemlimit(buf: Buffer, offset: number, n: number, next: number): ParseResult {
  const consumed = next - offset;
  if (n !== 2 && n !== 3) return fail(REPLY.ERROR, consumed);
  const noreply = lastTokenIsNoreply(buf, n);
  const megabytes = parseUint32Token(buf, tokenStart[1]!, tokenEnd[1]!);
  // memcached answers a bad number with plain ERROR here.
  if (Number.isNaN(megabytes)) return fail(noreply ? REPLY.NONE : REPLY.ERROR, consumed);
  return ok(simple('cache_memlimit', megabytes, noreply), consumed);
}

/**
 * shutdown [graceful]; arg is a SHUTDOWN_MODE. Without -A the server
 * answers REPLY.ERROR_SHUTDOWN_NOT_ENABLED whatever the argument.
 */
export function parseShutdown(buf: Buffer, offset: number, n: number, next: number): ParseResult {
  let mode: number = SHUTDOWN_MODE.INVALID;
  if (n === 1) mode = SHUTDOWN_MODE.IMMEDIATE;
  else if (n === 2 && tokenEquals(buf, 1, GRACEFUL)) mode = SHUTDOWN_MODE.GRACEFUL;
  return ok(simple('shutdown', mode, false), next - offset);
}

/**
 * stats [group [args...]]: group is the first argument ('' for plain
 * stats), args the following tokens joined by single spaces. Unknown groups
 * are the server's to refuse with ERROR.
 */
export function parseStats(buf: Buffer, offset: number, n: number, next: number): ParseResult {
  let group = '';
  let args = '';
  if (n > 1) group = buf.toString('latin1', tokenStart[1]!, tokenEnd[1]!);
  for (let t = 2; t < n; t++) {
    const token = buf.toString('latin1', tokenStart[t]!, tokenEnd[t]!);
    args = t === 2 ? token : args + ' ' + token;
  }
  const request: StatsRequest = { protocol: 'text', quiet: false, opaque: 0, binaryOpcode: 0, type: 'stats', group, args };
  return ok(request, next - offset);
}

/**
 * lru_crawler, watch, refresh_certs, slabs: the words after the command.
 * Their replies depend on settings (-X, -W, TLS), so the server checks them;
 * `noreply` is memcached's for watch and refresh_certs (for slabs only
 * `automove` honours it, so the responder decides).
 */
export function parseWordsCommand(
  buf: Buffer,
  offset: number,
  n: number,
  next: number,
  type: AdminRequest['type'],
): ParseResult {
  const args: string[] = [];
  for (let t = 1; t < n; t++) args.push(buf.toString('latin1', tokenStart[t]!, tokenEnd[t]!));
  const quiet = type !== 'lru_crawler' && type !== 'slabs' && lastTokenIsNoreply(buf, n);
  const request: AdminRequest = { protocol: 'text', quiet, opaque: 0, binaryOpcode: 0, type, args };
  return ok(request, next - offset);
}
