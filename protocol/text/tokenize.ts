// Splits one request line into tokens the way memcached's tokenize_command
// does, recording byte offsets instead of copying.
//
// memcached's rules, kept here because replies depend on them:
//   - only the space byte separates tokens; tabs and other control bytes are
//     part of a token (a key may contain a tab);
//   - the line is a C string: it ends at the first NUL byte;
//   - at most 23 tokens are split (MAX_TOKENS 24 less the terminal token);
//     the rest of the line is left for get/gets, which continue from
//     `restStart`, while other commands see "too many tokens".
// Offsets live in module-level typed arrays: one line is parsed at a time
// (JS is single-threaded and the parser never re-enters), so no per-call
// allocation is needed. Callers read them right after tokenize().

/** memcached's MAX_TOKENS less its terminal token. */
export const MAX_LINE_TOKENS = 23;

/** Start offsets (in the caller's buffer) of the tokens of the last line. */
export const tokenStart = new Int32Array(MAX_LINE_TOKENS);
/** End offsets (exclusive) of the tokens of the last line. */
export const tokenEnd = new Int32Array(MAX_LINE_TOKENS);

/**
 * Where the unsplit rest of the line starts after MAX_LINE_TOKENS tokens,
 * or -1 when the whole line was split.
 */
export let restStart = -1;
/** End of the line as memcached sees it (first NUL or `end`). */
export let lineStop = 0;

/**
 * Tokenize buf[start, end) (end excludes the line terminator). Returns the
 * number of tokens, at most MAX_LINE_TOKENS.
 */
export function tokenize(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let i = start;
  restStart = -1;
  while (i < end) {
    const c = buf[i]!;
    if (c === 32) {
      i++;
      continue;
    }
    if (c === 0) break;
    const s = i;
    i++;
    while (i < end) {
      const d = buf[i]!;
      if (d === 32 || d === 0) break;
      i++;
    }
    tokenStart[n] = s;
    tokenEnd[n] = i;
    n++;
    if (n === MAX_LINE_TOKENS) {
      // memcached stops after the separator that follows this token.
      if (i < end && buf[i] === 32 && i + 1 < end && buf[i + 1] !== 0) restStart = i + 1;
      if (i < end && buf[i] === 0) {
        lineStop = i;
        return n;
      }
      lineStop = findNul(buf, i, end);
      return n;
    }
  }
  lineStop = i < end ? i : end;
  return n;
}

function findNul(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === 0) return i;
  return end;
}

/** Does token `t` of the last line equal the ASCII literal? */
export function tokenEquals(buf: Buffer, t: number, literal: Uint8Array): boolean {
  const s = tokenStart[t]!;
  const len = tokenEnd[t]! - s;
  if (len !== literal.length) return false;
  for (let i = 0; i < len; i++) if (buf[s + i] !== literal[i]) return false;
  return true;
}

/** Length in bytes of token `t` of the last line. */
export function tokenLength(t: number): number {
  return tokenEnd[t]! - tokenStart[t]!;
}

/** An ASCII literal as bytes, for tokenEquals. */
export function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

export const NOREPLY = ascii('noreply');

/** memcached's set_noreply_maybe: is the last of `n` tokens `noreply`? */
export function lastTokenIsNoreply(buf: Buffer, n: number): boolean {
  return tokenEquals(buf, n - 1, NOREPLY);
}
