// Test helpers for the binary protocol: build request packets (well-formed
// or with lying length fields) and decode response packets into plain
// objects that tap can compare.

export interface PacketSpec {
  opcode: number;
  key?: string | Buffer;
  extras?: Buffer;
  value?: string | Buffer;
  opaque?: number;
  cas?: bigint | number;
  /** Override header fields to build malformed packets. */
  magic?: number;
  keyLen?: number;
  extLen?: number;
  bodyLen?: number;
}

const toBuf = (b: string | Buffer | undefined): Buffer =>
  b === undefined ? Buffer.alloc(0) : typeof b === 'string' ? Buffer.from(b, 'latin1') : b;

/** A request packet: header, extras, key, value. */
export function packet(spec: PacketSpec): Buffer {
  const key = toBuf(spec.key);
  const extras = spec.extras ?? Buffer.alloc(0);
  const value = toBuf(spec.value);
  const h = Buffer.alloc(24);
  h[0] = spec.magic ?? 0x80;
  h[1] = spec.opcode;
  h.writeUInt16BE(spec.keyLen ?? key.length, 2);
  h[4] = spec.extLen ?? extras.length;
  h.writeUInt32BE(spec.bodyLen ?? extras.length + key.length + value.length, 8);
  h.writeUInt32BE(spec.opaque ?? 0, 12);
  h.writeBigUInt64BE(BigInt(spec.cas ?? 0), 16);
  return Buffer.concat([h, extras, key, value]);
}

/** Extras helpers, big-endian. */
export function u32(...ns: number[]): Buffer {
  const b = Buffer.alloc(4 * ns.length);
  ns.forEach((n, i) => b.writeUInt32BE(n, 4 * i));
  return b;
}

export function storeExtras(flags: number, exptime: number): Buffer {
  return u32(flags, exptime);
}

export function arithExtras(delta: bigint, initial: bigint, exptime: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(delta, 0);
  b.writeBigUInt64BE(initial, 8);
  b.writeUInt32BE(exptime, 16);
  return b;
}

/** A decoded response packet. `key`, `extras` and `value` as latin1 strings / hex. */
export interface Reply {
  magic: number;
  opcode: number;
  status: number;
  opaque: number;
  cas: bigint;
  datatype: number;
  extras: string; // hex
  key: string;
  value: string;
}

/** Decode every whole response packet in `buf`; throws on trailing bytes. */
export function decodeReplies(buf: Buffer): Reply[] {
  const out: Reply[] = [];
  let i = 0;
  while (i < buf.length) {
    if (buf.length - i < 24) throw new Error(`trailing ${buf.length - i} bytes`);
    const keyLen = buf.readUInt16BE(i + 2);
    const extLen = buf[i + 4] as number;
    const bodyLen = buf.readUInt32BE(i + 8);
    if (buf.length - i < 24 + bodyLen) throw new Error('truncated packet');
    const body = buf.subarray(i + 24, i + 24 + bodyLen);
    out.push({
      magic: buf[i] as number,
      opcode: buf[i + 1] as number,
      status: buf.readUInt16BE(i + 6),
      opaque: buf.readUInt32BE(i + 12),
      cas: buf.readBigUInt64BE(i + 16),
      datatype: buf[i + 5] as number,
      extras: body.subarray(0, extLen).toString('hex'),
      key: body.subarray(extLen, extLen + keyLen).toString('latin1'),
      value: body.subarray(extLen + keyLen).toString('latin1'),
    });
    i += 24 + bodyLen;
  }
  return out;
}

/** Shorthand for an expected reply; unspecified fields take their usual values. */
export function reply(r: Partial<Reply> & { opcode: number }): Reply {
  return { magic: 0x81, status: 0, opaque: 0, cas: 0n, datatype: 0, extras: '', key: '', value: '', ...r };
}
