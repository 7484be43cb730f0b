// What a connection must do with a whole fuzzed stream, worked out by
// running the same parsers the way lib/server/connection.ts runs them: the live
// fuzzer compares the server against this.
//
//   'open'    every request is answered and the connection stays usable
//             (a probe sent afterwards must be answered);
//   'closed'  the server must close (a fatal error, quit, a binary packet
//             with a bad magic byte...).
// `mayCloseEarly`: the stream has a line over 2048 bytes; memcached (and
// we) close on such a line only when it arrives in pieces, so a close is
// also acceptable. `incomplete`: the stream ends inside a request; pad()
// completes it.

import type { ParserLimits } from '../protocol/request.js';
import { MAX_LINE_WITHOUT_NEWLINE } from '../protocol/text/parse.js';
import { PARSERS, parserFor } from './parser-check.js';

export interface ModelOptions {
  limits: ParserLimits;
  /** lib/server/connection.ts closes when this much input holds no complete request. */
  maxPendingInput: number;
}

export interface ModelResult {
  outcome: 'open' | 'closed';
  mayCloseEarly: boolean;
  /** The stream ends inside a request (or inside a value being swallowed). */
  incomplete: boolean;
  /** Bytes still to be swallowed when the stream ends that way. */
  swallowing: number;
}

export function simulate(stream: Buffer, opts: ModelOptions): ModelResult {
  const kind = parserFor(stream);
  const parse = PARSERS[kind];
  let offset = 0;
  let mayCloseEarly = false;
  const result = (outcome: 'open' | 'closed', incomplete = false, swallowing = 0): ModelResult => ({ outcome, mayCloseEarly, incomplete, swallowing });
  while (offset < stream.length) {
    if (kind === 'text') {
      const nl = stream.indexOf(0x0a, offset);
      const lineBytes = (nl < 0 ? stream.length : nl) - offset;
      if (lineBytes > MAX_LINE_WITHOUT_NEWLINE) mayCloseEarly = true;
    }
    const r = parse(stream, offset, opts.limits);
    switch (r.kind) {
      case 'incomplete':
        if (stream.length - offset > opts.maxPendingInput) return result('closed');
        return result('open', true);
      case 'ok':
        offset += r.consumed;
        // quit closes; `shutdown` without -A is only answered with an error.
        if (r.request.type === 'quit') return result('closed');
        break;
      case 'error':
        offset += r.consumed;
        if (r.close) return result('closed');
        break;
      case 'swallow':
        offset += r.consumed + r.remaining;
        if (offset > stream.length) return result('open', true, offset - stream.length);
        break;
    }
  }
  return result('open');
}

/** Largest padding pad() will add; streams needing more are left incomplete. */
const MAX_PAD_BYTES = 4 * 1024 * 1024;

/**
 * Complete a stream that ends inside a request so that a probe sent after
 * it is read as a request of its own: text gets CRLFs (ending the line, or
 * filling the value), binary gets the fewest zero bytes that finish the
 * packet. Returns the padded stream and its model.
 */
export function pad(stream: Buffer, opts: ModelOptions): { stream: Buffer; model: ModelResult } {
  const model = simulate(stream, opts);
  if (!model.incomplete || model.outcome === 'closed') return { stream, model };
  const kind = parserFor(stream);
  const filler = (n: number): Buffer => (kind === 'text' ? Buffer.from('\r\n'.repeat(Math.ceil(n / 2)).slice(0, n), 'latin1') : Buffer.alloc(n));
  if (model.swallowing > MAX_PAD_BYTES) return { stream, model };
  // Smallest n with a complete outcome, by doubling then bisection.
  let hi = Math.max(2, model.swallowing);
  let padded = simulate(Buffer.concat([stream, filler(hi)]), opts);
  while (padded.incomplete && padded.outcome === 'open' && hi < MAX_PAD_BYTES) {
    hi *= 2;
    padded = simulate(Buffer.concat([stream, filler(hi)]), opts);
  }
  if (padded.incomplete && padded.outcome === 'open') return { stream, model };
  let lo = 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const m = simulate(Buffer.concat([stream, filler(mid)]), opts);
    if (m.incomplete && m.outcome === 'open') lo = mid;
    else hi = mid;
  }
  const done = Buffer.concat([stream, filler(hi)]);
  return { stream: done, model: simulate(done, opts) };
}
