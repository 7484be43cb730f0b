// Reference driver for parseTextRequest: feeds a byte stream, chunk by
// chunk, through the parser the way a connection does, and returns what
// the connection would do at each step. Used by the tests (whole, byte by
// byte and random splits must give the same outcomes) and the benchmark;
// it shows the server how ParseResults are meant to be consumed:
//   - parse from the start of the unconsumed bytes, again after each read,
//     until 'incomplete';
//   - 'ok' and 'error' drop `consumed` bytes; 'error' with close stops;
//   - 'swallow' drops `consumed`, then `remaining` more bytes as they come
//     (possibly over several reads), then its reply is due.
// Not for the hot path: it copies chunks together for simplicity.

import type { ParseResult, ParserLimits, Request } from '../request.js';
import { parseTextRequest } from './parse.js';
import { KeyList } from '../key-list.js';

/** What the connection does for one parsed request. */
export type ReplayOutcome =
  | { kind: 'ok'; request: Request; consumed: number }
  | { kind: 'error'; reply: Buffer; consumed: number; close: boolean }
  | { kind: 'swallow'; reply: Buffer; consumed: number; remaining: number };

export interface ReplayResult {
  outcomes: ReplayOutcome[];
  /** Bytes still buffered (an incomplete request) after the last chunk. */
  leftover: number;
  /** Bytes of a swallow still to discard after the last chunk. */
  swallowing: number;
  /** The connection was closed by an error with `close`. */
  closed: boolean;
}

/**
 * Replay `chunks` through the parser. Requests keep views into private
 * copies of the input, so they stay valid after the call.
 * `startOffset` pads each parse buffer with that many junk bytes before
 * the real data, to exercise a non-zero `offset`.
 */
export function replay(chunks: Iterable<Uint8Array>, limits: ParserLimits, startOffset = 0): ReplayResult {
  const outcomes: ReplayOutcome[] = [];
  let pending: Buffer = Buffer.alloc(startOffset, 0x21);
  let swallowing = 0;
  for (const chunk of chunks) {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (swallowing > 0) {
        const available = pending.length - startOffset;
        const drop = Math.min(available, swallowing);
        swallowing -= drop;
        pending = dropFront(pending, startOffset, drop);
        if (swallowing > 0) break;
      }
      const result: ParseResult = parseTextRequest(pending, startOffset, limits);
      if (result.kind === 'incomplete') break;
      outcomes.push(result);
      pending = dropFront(pending, startOffset, result.consumed);
      if (result.kind === 'error' && result.close) {
        return { outcomes, leftover: pending.length - startOffset, swallowing, closed: true };
      }
      if (result.kind === 'swallow') swallowing = result.remaining;
    }
  }
  return { outcomes, leftover: pending.length - startOffset, swallowing, closed: false };
}

/** A new buffer without `count` bytes after the `keep`-byte prefix. */
function dropFront(buf: Buffer, keep: number, count: number): Buffer {
  if (count === 0) return buf;
  return Buffer.concat([buf.subarray(0, keep), buf.subarray(keep + count)]);
}

/**
 * A plain, comparable copy of an outcome: Buffers become latin1 strings,
 * the meta flags Map an array of [letter, value] pairs in request order.
 * For tests and debug logging.
 */
export function describeOutcome(outcome: ReplayOutcome): Record<string, unknown> {
  if (outcome.kind === 'error') {
    return { kind: 'error', reply: outcome.reply.toString('latin1'), consumed: outcome.consumed, close: outcome.close };
  }
  if (outcome.kind === 'swallow') {
    return { kind: 'swallow', reply: outcome.reply.toString('latin1'), consumed: outcome.consumed, remaining: outcome.remaining };
  }
  return { kind: 'ok', request: describeRequest(outcome.request), consumed: outcome.consumed };
}

/** A plain copy of a request (see describeOutcome). */
export function describeRequest(request: Request): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request)) {
    if (Buffer.isBuffer(value)) plain[name] = value.toString('latin1');
    else if (value instanceof KeyList) plain[name] = value.toStrings();
    else if (value instanceof Map) plain[name] = [...value.entries()];
    else if (Array.isArray(value)) plain[name] = value.map((v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    else plain[name] = value;
  }
  return plain;
}
