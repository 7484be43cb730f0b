// When a set is refused because its value is over the item limit, the
// parser swallows the value and the request never reaches a responder. But
// memcached also drops the key's old value then, so a client that believes
// it replaced the value cannot read the stale one. This finds the key of
// such a refused set from the request bytes still in the read buffer:
// text `set`, meta `ms` (any mode, as memcached) and binary Set/SetQ.

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const BINARY_MAGIC = 0x80;
const BINARY_SET = 0x01;
const BINARY_SETQ = 0x11;
const BINARY_HEADER = 24;

function isBlank(b: number): boolean {
  return b === SPACE || b === TAB;
}

/**
 * The key of the refused storage request starting at buf[start] (its header
 * ends before `end`), or undefined when it is not a set that memcached
 * would unlink for.
 */
export function refusedSetKey(buf: Buffer, start: number, end: number): Buffer | undefined {
  if (buf[start] === BINARY_MAGIC) return binarySetKey(buf, start, end);
  const stop = Math.min(end, buf.length);
  const tokens: Array<[number, number]> = [];
  let i = start;
  while (i < stop && tokens.length < 24) {
    while (i < stop && isBlank(buf[i] as number)) i++;
    if (i >= stop || buf[i] === CR || buf[i] === LF) break;
    const from = i;
    while (i < stop && !isBlank(buf[i] as number) && buf[i] !== CR && buf[i] !== LF) i++;
    tokens.push([from, i]);
  }
  if (tokens.length < 2) return undefined;
  const [c0, c1] = tokens[0] as [number, number];
  const command = buf.toString('latin1', c0, c1);
  const [k0, k1] = tokens[1] as [number, number];
  if (command === 'set') return buf.subarray(k0, k1);
  if (command !== 'ms') return undefined;
  const base64 = tokens.slice(3).some(([a, b]) => b - a === 1 && buf[a] === 0x62 /* b */);
  return base64 ? Buffer.from(buf.toString('latin1', k0, k1), 'base64') : buf.subarray(k0, k1);
}

function binarySetKey(buf: Buffer, start: number, end: number): Buffer | undefined {
  if (end - start < BINARY_HEADER || start + BINARY_HEADER > buf.length) return undefined;
  const opcode = buf[start + 1];
  if (opcode !== BINARY_SET && opcode !== BINARY_SETQ) return undefined;
  const keyLength = buf.readUInt16BE(start + 2);
  const extrasLength = buf[start + 4] as number;
  const keyStart = start + BINARY_HEADER + extrasLength;
  if (keyLength === 0 || keyStart + keyLength > buf.length) return undefined;
  return buf.subarray(keyStart, keyStart + keyLength);
}
