// Self-checking values for the soak run: a value names its key, its
// version, its length and a checksum in a header, and the rest is a pattern
// derived from those, so any byte read back can be checked without keeping
// the written bytes.
//
//   <key>:<version>:<length>:<checksum hex>|<pattern...>

const HEADER_END = 0x7c; // '|'

/** FNV-1a over a string: the checksum and the pattern seed. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function header(key: string, version: number, length: number): string {
  const sum = fnv1a(`${key}:${version}:${length}`).toString(16).padStart(8, '0');
  return `${key}:${version}:${length}:${sum}|`;
}

/** 16 bytes of pattern from the checksum; the payload repeats them. */
function pattern(seed: number): Buffer {
  const p = Buffer.alloc(16);
  let x = seed || 1;
  for (let i = 0; i < 16; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = 0x21 + ((x >>> 0) % 90); // printable, no spaces or CR/LF
  }
  return p;
}

/** Smallest length encodeValue accepts for a key and version. */
export function minValueLength(key: string, version: number): number {
  return header(key, version, 999_999_999).length;
}

/** The value of `key` at `version`, `length` bytes long (at least minValueLength). */
export function encodeValue(key: string, version: number, length: number): Buffer {
  const head = Buffer.from(header(key, version, length), 'latin1');
  if (length < head.length) throw new Error(`value length ${length} below its header ${head.length}`);
  const out = Buffer.allocUnsafe(length);
  head.copy(out, 0);
  out.fill(pattern(fnv1a(head.toString('latin1'))), head.length);
  return out;
}

export type ValueCheck = { ok: true; version: number } | { ok: false; reason: string };

/** Check bytes read back for `key`: the right key, a consistent header, an intact payload. */
export function checkValue(key: string, data: Buffer): ValueCheck {
  const end = data.indexOf(HEADER_END);
  if (end < 0 || end > 400) return { ok: false, reason: 'no header' };
  const head = data.toString('latin1', 0, end + 1);
  const fields = head.slice(0, -1).split(':');
  const sum = fields.pop();
  const length = Number(fields.pop());
  const version = Number(fields.pop());
  const named = fields.join(':');
  if (named !== key) return { ok: false, reason: `value of key ${JSON.stringify(named)} read for ${JSON.stringify(key)}` };
  if (!Number.isInteger(version) || length !== data.length) return { ok: false, reason: `length ${data.length}, header says ${length}` };
  if (header(key, version, length) !== head || sum === undefined) return { ok: false, reason: 'header checksum wrong' };
  const expected = encodeValue(key, version, length);
  if (!expected.equals(data)) return { ok: false, reason: 'payload corrupted' };
  return { ok: true, version };
}
