// Constructors for ParseResult values, shared by the text and meta parsers,
// so every result of one kind has the same object shape.

import type { ParseResult, Request } from '../request.js';

/** The one 'incomplete' result: nothing to allocate when more bytes are needed. */
export const INCOMPLETE: ParseResult = Object.freeze({ kind: 'incomplete' });

export function ok(request: Request, consumed: number): ParseResult {
  return { kind: 'ok', request, consumed };
}

/** An error reply; the connection carries on unless `close`. */
export function fail(reply: Buffer, consumed: number, close = false): ParseResult {
  return { kind: 'error', reply, consumed, close };
}

/** Discard `remaining` bytes after `consumed`, then write `reply` (and unlink `unlinkKey`, a refused set's key). */
export function swallow(reply: Buffer, consumed: number, remaining: number, unlinkKey?: Buffer, tooLarge = false): ParseResult {
  return tooLarge ? { kind: 'swallow', reply, consumed, remaining, unlinkKey, tooLarge } : { kind: 'swallow', reply, consumed, remaining, unlinkKey };
}
