// get, gets, gat, gats (and memcached's undocumented alias bget): one line,
// any number of keys, no data block.
//
//   get <key>*            gets <key>*
//   gat <exptime> <key>*  gats <exptime> <key>*
//
// memcached rules kept: a key over the limit anywhere in the line fails the
// whole line with `CLIENT_ERROR bad command line format` (no VALUE lines);
// `gat <exptime>` with no key is valid and answers END; the line may hold
// more than 23 tokens (memcached re-tokenizes the rest).

import type { GetRequest, ParseResult, ParserLimits } from '../request.js';
import { REPLY } from './replies.js';
import { fail, ok } from './results.js';
import { lineStop, restStart, tokenEnd, tokenStart } from './tokenize.js';
import { parseInt32Token } from './numbers.js';
import { KeyList } from '../key-list.js';

/**
 * Build the request for a get-family line already split into `n` tokens.
 * `next` is the offset just past the line's '\n'.
 */
export function parseGet(
  buf: Buffer,
  offset: number,
  n: number,
  next: number,
  withCas: boolean,
  touch: boolean,
  limits: ParserLimits,
): ParseResult {
  const consumed = next - offset;
  let first = 1;
  let touchExptime: number | undefined;
  if (touch) {
    touchExptime = parseInt32Token(buf, tokenStart[1]!, tokenEnd[1]!);
    if (Number.isNaN(touchExptime)) return fail(REPLY.CLIENT_ERROR_INVALID_EXPTIME, consumed);
    first = 2;
  }
  // Keys are checked and counted here but not cut out: the responder makes
  // each key's view when it looks it up (protocol/key-list.ts).
  const maxKey = limits.maxKeyBytes;
  for (let t = first; t < n; t++) {
    if (tokenEnd[t]! - tokenStart[t]! > maxKey) return fail(REPLY.CLIENT_ERROR_BAD_FORMAT, consumed);
  }
  let count = n - first;
  const stop = lineStop;
  if (restStart >= 0) {
    // More keys than one tokenizer pass holds: check the rest of the line.
    let i = restStart;
    while (i < stop) {
      if (buf[i] === 32) {
        i++;
        continue;
      }
      const s = i;
      while (i < stop && buf[i] !== 32) i++;
      if (i - s > maxKey) return fail(REPLY.CLIENT_ERROR_BAD_FORMAT, consumed);
      count++;
    }
  }
  // The tokens end at the line's first NUL (lineStop), so the range holds exactly these keys.
  const keys = KeyList.spaced(buf, count > 0 ? tokenStart[first]! : stop, stop, count);
  const request: GetRequest = {
    protocol: 'text',
    quiet: false,
    opaque: 0,
    binaryOpcode: 0,
    type: 'get',
    keys,
    withCas,
    touchExptime,
    withKey: false,
  };
  return ok(request, consumed);
}
