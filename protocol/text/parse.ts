// Entry point of the text and meta protocol parser: one request from a
// Buffer, as a pure function (no socket, no store, no logging).
//
// The connection calls parseTextRequest for any non-binary connection with
// everything it has buffered; the result says how many bytes to drop.
// Requests hold views into `buf` (keys, values), valid until the connection
// reuses those bytes. Dispatch follows memcached's process_command_ascii:
// case-sensitive names, first byte first, and its exact replies for bad
// lines (`ERROR` for unknown commands and wrong token counts).
//
// Line framing (memcached's try_read_command_ascii):
//   - a line ends at '\n'; one '\r' before it is dropped unless the line is
//     that '\r' alone;
//   - no '\n' within more than 2048 buffered bytes closes the connection
//     silently, unless the line is `get ` / `gets ` (after at most 100
//     spaces): multigets may be long. memcached then grows without bound; we
//     stop at MAX_GET_LINE_BYTES with `SERVER_ERROR out of memory reading
//     request` and close, so memory stays bounded.
//   - like memcached, the 2048 rule looks at what is buffered, so a long
//     line that arrives whole is parsed, one that trickles in is refused.
//   - an unknown command whose last token starts with `HTTP/` closes
//     silently (someone pointed a browser at the port).
//
// @example
//   const r = parseTextRequest(Buffer.from('get foo\r\n'), 0, DEFAULT_LIMITS);
//   // r.kind === 'ok', r.request.type === 'get', r.consumed === 9

import type { ParseResult, ParserLimits } from '../request.js';
import { REPLY } from './replies.js';
import { fail, INCOMPLETE } from './results.js';
import { ascii, tokenEquals, tokenize, tokenStart, tokenEnd } from './tokenize.js';
import { parseGet } from './get.js';
import { parseStore } from './store.js';
import { parseArithmetic, parseDelete, parseTouch } from './keyed.js';
import {
  parseCacheMemlimit,
  parseFlushAll,
  parseNoArgs,
  parseShutdown,
  parseStats,
  parseVerbosity,
  parseWordsCommand,
} from './admin.js';
import { parseMetaCommand } from '../meta/parse.js';

/** memcached closes a connection with this many bytes buffered and no newline. */
export const MAX_LINE_WITHOUT_NEWLINE = 2048;
/**
 * Our bound on a get/gets line still without newline (memcached has none).
 * libmemcached's mget of 20,000 keys is a ~900 KB line; 4 MiB leaves room
 * for that with long keys.
 */
export const MAX_GET_LINE_BYTES = 4 * 1024 * 1024;
/** memcached's allowance of leading spaces before a long get line. */
const MAX_LEADING_SPACES = 100;

const GET = ascii('get');
const GETS = ascii('gets');
const GAT = ascii('gat');
const GATS = ascii('gats');
const SET = ascii('set');
const STATS = ascii('stats');
const SHUTDOWN = ascii('shutdown');
const ADD = ascii('add');
const APPEND = ascii('append');
const CAS = ascii('cas');
const CACHE_MEMLIMIT = ascii('cache_memlimit');
const INCR = ascii('incr');
const DECR = ascii('decr');
const DELETE = ascii('delete');
const TOUCH = ascii('touch');
const REPLACE = ascii('replace');
const PREPEND = ascii('prepend');
const BGET = ascii('bget');
const FLUSH_ALL = ascii('flush_all');
const VERSION = ascii('version');
const QUIT = ascii('quit');
const VERBOSITY = ascii('verbosity');
const HTTP = ascii('HTTP/');
const LRU_CRAWLER = ascii('lru_crawler');
const WATCH = ascii('watch');
const REFRESH_CERTS = ascii('refresh_certs');
const SLABS = ascii('slabs');

/**
 * Parse one text or meta request starting at `offset`.
 *
 * Returns 'incomplete' until a whole request (line, and data block for
 * set/ms) is buffered; 'ok' with the request; 'error' with memcached's reply
 * (possibly REPLY.NONE, e.g. after `noreply`) and `close` when memcached
 * would hang up; 'swallow' when a data block must be skipped unread.
 * `consumed` counts from `offset`.
 */
export function parseTextRequest(buf: Buffer, offset: number, limits: ParserLimits): ParseResult {
  const newline = buf.indexOf(10, offset);
  if (newline === -1) return noNewline(buf, offset);
  let end = newline;
  if (newline - offset > 1 && buf[newline - 1] === 13) end = newline - 1;
  const next = newline + 1;

  const n = tokenize(buf, offset, end);
  const consumed = next - offset;
  // No command shorter than two bytes exists.
  if (n === 0 || tokenEnd[0]! - tokenStart[0]! < 2) return fail(REPLY.ERROR, consumed);

  const c0 = buf[tokenStart[0]!]!;
  switch (c0) {
    case 109 /* m */:
      if (tokenEnd[0]! - tokenStart[0]! === 2) {
        return parseMetaCommand(buf, offset, n, next, buf[tokenStart[0]! + 1]!, limits);
      }
      break;
    case 103 /* g */:
      if (n < 2) return fail(REPLY.ERROR, consumed);
      if (tokenEquals(buf, 0, GET)) return parseGet(buf, offset, n, next, false, false, limits);
      if (tokenEquals(buf, 0, GETS)) return parseGet(buf, offset, n, next, true, false, limits);
      if (tokenEquals(buf, 0, GAT)) return parseGet(buf, offset, n, next, false, true, limits);
      if (tokenEquals(buf, 0, GATS)) return parseGet(buf, offset, n, next, true, true, limits);
      return fail(REPLY.ERROR, consumed);
    case 115 /* s */:
      if (tokenEquals(buf, 0, SET)) return parseStore(buf, offset, n, next, 'set', limits);
      if (tokenEquals(buf, 0, STATS)) return parseStats(buf, offset, n, next);
      if (tokenEquals(buf, 0, SHUTDOWN)) return parseShutdown(buf, offset, n, next);
      // No slab classes, but memcached's parsing and replies (lib/respond/slabs-command.ts).
      if (tokenEquals(buf, 0, SLABS)) return parseWordsCommand(buf, offset, n, next, 'slabs');
      return fail(REPLY.ERROR, consumed);
    case 97 /* a */:
      if (tokenEquals(buf, 0, ADD)) return parseStore(buf, offset, n, next, 'add', limits);
      if (tokenEquals(buf, 0, APPEND)) return parseStore(buf, offset, n, next, 'append', limits);
      return fail(REPLY.ERROR, consumed);
    case 99 /* c */:
      if (tokenEquals(buf, 0, CAS)) return parseStore(buf, offset, n, next, 'cas', limits);
      if (tokenEquals(buf, 0, CACHE_MEMLIMIT)) return parseCacheMemlimit(buf, offset, n, next);
      return fail(REPLY.ERROR, consumed);
    case 105 /* i */:
      if (tokenEquals(buf, 0, INCR)) return parseArithmetic(buf, offset, n, next, true, limits);
      return fail(REPLY.ERROR, consumed);
    case 100 /* d */:
      if (tokenEquals(buf, 0, DELETE)) return parseDelete(buf, offset, n, next, limits);
      if (tokenEquals(buf, 0, DECR)) return parseArithmetic(buf, offset, n, next, false, limits);
      return fail(REPLY.ERROR, consumed);
    case 116 /* t */:
      if (tokenEquals(buf, 0, TOUCH)) return parseTouch(buf, offset, n, next, limits);
      return fail(REPLY.ERROR, consumed);
  }
  // Rarer commands, in memcached's order.
  if (tokenEquals(buf, 0, REPLACE)) return parseStore(buf, offset, n, next, 'replace', limits);
  if (tokenEquals(buf, 0, PREPEND)) return parseStore(buf, offset, n, next, 'prepend', limits);
  if (tokenEquals(buf, 0, BGET)) {
    if (n < 2) return fail(REPLY.ERROR, consumed);
    return parseGet(buf, offset, n, next, false, false, limits);
  }
  if (tokenEquals(buf, 0, FLUSH_ALL)) return parseFlushAll(buf, offset, n, next);
  if (tokenEquals(buf, 0, VERSION)) return parseNoArgs(offset, next, 'version');
  if (tokenEquals(buf, 0, QUIT)) return parseNoArgs(offset, next, 'quit');
  if (tokenEquals(buf, 0, LRU_CRAWLER)) return parseWordsCommand(buf, offset, n, next, 'lru_crawler');
  if (tokenEquals(buf, 0, WATCH)) return parseWordsCommand(buf, offset, n, next, 'watch');
  if (tokenEquals(buf, 0, VERBOSITY)) return parseVerbosity(buf, offset, n, next);
  if (tokenEquals(buf, 0, REFRESH_CERTS)) return parseWordsCommand(buf, offset, n, next, 'refresh_certs');
  // memcached hangs up on what looks like an HTTP request line (its last
  // token is the 23rd at most).
  if (startsWith(buf, tokenStart[n - 1]!, tokenEnd[n - 1]!, HTTP)) {
    return fail(REPLY.NONE, consumed, true);
  }
  return fail(REPLY.ERROR, consumed);
}

function startsWith(buf: Buffer, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

/** No '\n' yet: wait, or close as memcached does when the line is too long. */
function noNewline(buf: Buffer, offset: number): ParseResult {
  const buffered = buf.length - offset;
  if (buffered <= MAX_LINE_WITHOUT_NEWLINE) return INCOMPLETE;
  let p = offset;
  while (p < buf.length && buf[p] === 32) p++;
  const isGet =
    p - offset <= MAX_LEADING_SPACES &&
    buf[p] === 103 &&
    buf[p + 1] === 101 &&
    buf[p + 2] === 116 &&
    (buf[p + 3] === 32 || (buf[p + 3] === 115 && buf[p + 4] === 32));
  if (!isGet) return fail(REPLY.NONE, buffered, true);
  if (buffered > MAX_GET_LINE_BYTES) return fail(REPLY.SERVER_ERROR_OUT_OF_MEMORY_READING, buffered, true);
  return INCOMPLETE;
}
