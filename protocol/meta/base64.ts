// Decoding of base64 keys (meta flag `b`) with memcached's tolerance, so the
// same keys are accepted and refused:
//   - bytes outside the base64 alphabet are skipped, not errors;
//   - the remaining characters ('=' included) must be a non-zero multiple
//     of four;
//   - decoding stops after the first 4-character block holding '='; one '='
//     drops one byte, two drop two, more is an error.
// Encoding keys for replies is plain `buf.toString('base64')`, which writes
// what memcached writes.

/** Sextet value of each byte; 0x80 marks bytes outside the alphabet. */
const SEXTET = new Uint8Array(256).fill(0x80);
{
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) SEXTET[alphabet.charCodeAt(i)] = i;
  SEXTET[61] = 0; // '=' decodes as zero bits and counts as padding.
}

/**
 * Decode buf[start, end) as a base64 key. Returns a new Buffer, or null
 * where memcached answers an error.
 *
 * @example decodeBase64Key(Buffer.from('Zm9v'), 0, 4) // <Buffer 66 6f 6f> ("foo")
 */
export function decodeBase64Key(buf: Buffer, start: number, end: number): Buffer | null {
  let count = 0;
  for (let i = start; i < end; i++) if (SEXTET[buf[i]!] !== 0x80) count++;
  if (count === 0 || count % 4 !== 0) return null;

  const out = Buffer.allocUnsafe((count / 4) * 3);
  let pos = 0;
  let inBlock = 0;
  let pad = 0;
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    const v = SEXTET[byte]!;
    if (v === 0x80) continue;
    if (byte === 61) pad++;
    if (inBlock === 0) b0 = v;
    else if (inBlock === 1) b1 = v;
    else if (inBlock === 2) b2 = v;
    inBlock++;
    if (inBlock === 4) {
      out[pos++] = ((b0 << 2) | (b1 >> 4)) & 0xff;
      out[pos++] = ((b1 << 4) | (b2 >> 2)) & 0xff;
      out[pos++] = ((b2 << 6) | v) & 0xff;
      inBlock = 0;
      if (pad > 0) {
        if (pad > 2) return null;
        pos -= pad;
        break;
      }
    }
  }
  return pos === out.length ? out : out.subarray(0, pos);
}
