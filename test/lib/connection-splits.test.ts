// The connection state machine fed through an in-memory socket: the same
// bytes delivered whole, byte by byte and at random split points must give
// the same replies (partial lines, values split anywhere, swallowing across
// reads, -R yields in between).

import t from 'tap';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { Connection } from '../../lib/server/connection.js';
import { createServerContext } from '../../lib/server/server-context.js';
import { createCommandLog } from '../../lib/observability/logger.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from '../../lib/cli/settings.js';
import type { Settings } from '../../lib/cli/settings.js';
import { createStore } from '../../segments/index.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import { parseBinaryRequest } from '../../protocol/binary/parse.js';
import { respondText } from '../../lib/respond/respond-text.js';
import { respondBinary } from '../../lib/respond/respond-binary.js';

/** A socket stand-in: bytes pushed by the test, writes collected. */
class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.written.push(chunk);
    cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    cb();
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  output(): string {
    return Buffer.concat(this.written).toString('latin1');
  }
}

const MAX_VALUE = 1024;

function openConnection(overrides: Partial<Settings> = {}): { socket: FakeSocket; conn: Connection } {
  const settings: Settings = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, maxBytes: 4 * 1024 * 1024, itemSizeMax: MAX_VALUE, ...overrides };
  const clock = { nowMs: () => Date.UTC(2024, 0, 1) };
  const store = createStore({ memoryLimitBytes: settings.maxBytes, itemSizeMax: settings.itemSizeMax, clock });
  const ctx = createServerContext({
    settings,
    store,
    log: createCommandLog(0),
    sasl: undefined,
    connections: () => [],
    onShutdown: () => {},
    clock,
  });
  const socket = new FakeSocket();
  const conn = new Connection(socket as unknown as Socket, {
    ctx,
    text: { parse: parseTextRequest, respond: respondText },
    binary: { parse: parseBinaryRequest, respond: respondBinary },
    limits: { maxValueBytes: MAX_VALUE, maxKeyBytes: 250 },
    id: 1,
    addr: 'test',
    listenAddr: 'test',
    onClose: () => {},
  });
  return { socket, conn };
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Feed `input` in the given pieces, then wait for the final MN. */
async function feed(pieces: Buffer[], overrides: Partial<Settings> = {}): Promise<string> {
  const { socket } = openConnection(overrides);
  for (const piece of pieces) {
    socket.push(piece);
    await turn();
  }
  while (!socket.output().endsWith('MN\r\n')) await turn();
  return socket.output();
}

function splitAt(input: Buffer, points: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let last = 0;
  for (const p of [...points].sort((a, b) => a - b)) {
    if (p > last && p < input.length) {
      pieces.push(input.subarray(last, p));
      last = p;
    }
  }
  pieces.push(input.subarray(last));
  return pieces;
}

/** Small deterministic PRNG so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

const SCRIPT = Buffer.from(
  [
    'set a 1 0 5\r\nhel\r\n\r\n',
    'get a b\r\n',
    'gets a\r\n',
    'bogus line\r\n',
    `set big 0 0 ${MAX_VALUE + 500}\r\n${'z'.repeat(MAX_VALUE + 500)}\r\n`,
    'get big\r\n',
    'set bad 0 0 2\r\nabcd\r\n',
    'add a 0 0 1 noreply\r\nx\r\n',
    'incr n 1\r\nset n 0 0 2\r\n41\r\nincr n 1\r\n',
    'ms m 3 T0 F9 c\r\nxyz\r\n',
    'mg m v f s k O42\r\n',
    'ma n v\r\n',
    'md a q\r\nmg a v\r\n',
    'mn\r\n',
  ].join(''),
  'latin1',
);

t.test('whole, byte by byte and random splits give the same replies', async (t) => {
  const whole = await feed([SCRIPT]);
  t.match(whole, /^STORED\r\nVALUE a 1 5\r\nhel\r\n\r\nEND\r\n/, 'sanity: the script is answered');
  t.match(whole, /SERVER_ERROR object too large for cache\r\nEND\r\n/, 'oversized value swallowed, next command answered');
  t.match(whole, /CLIENT_ERROR bad data chunk\r\nERROR\r\n/);
  t.match(whole, /HD c\d+\r\nVA 3 f9 s3 km O42\r\nxyz\r\nVA 2\r\n43\r\nEN\r\nMN\r\n$/);

  const bytes = [...SCRIPT].map((_, i) => SCRIPT.subarray(i, i + 1));
  t.equal(await feed(bytes), whole, 'byte by byte');

  const rand = lcg(12345);
  for (let round = 0; round < 20; round++) {
    const points = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => Math.floor(rand() * SCRIPT.length));
    t.equal(await feed(splitAt(SCRIPT, points)), whole, `split at ${points.sort((a, b) => a - b).join(',')}`);
  }
});

t.test('-R 1: one request per turn, same replies', async (t) => {
  const whole = await feed([SCRIPT]);
  t.equal(await feed([SCRIPT], { reqsPerEvent: 1 }), whole);
});

t.test('a binary request split anywhere', async (t) => {
  // Binary Set k=v then Get k, then a text mn is not possible on a binary
  // connection: finish with a binary Noop and look for its reply.
  const header = (opcode: number, keyLen: number, extLen: number, bodyLen: number, opaque: number): Buffer => {
    const h = Buffer.alloc(24);
    h[0] = 0x80;
    h[1] = opcode;
    h.writeUInt16BE(keyLen, 2);
    h[4] = extLen;
    h.writeUInt32BE(bodyLen, 8);
    h.writeUInt32BE(opaque, 12);
    return h;
  };
  const extras = Buffer.alloc(8);
  const set = Buffer.concat([header(0x01, 1, 8, 1 + 8 + 5, 1), extras, Buffer.from('kvalue'.slice(0, 6))]);
  const get = Buffer.concat([header(0x00, 1, 0, 1, 2), Buffer.from('k')]);
  const noop = header(0x0a, 0, 0, 0, 3);
  const input = Buffer.concat([set, get, noop]);

  async function run(pieces: Buffer[]): Promise<Buffer> {
    const { socket } = openConnection();
    for (const p of pieces) {
      socket.push(p);
      await turn();
    }
    for (;;) {
      const out = Buffer.concat(socket.written);
      // Three replies: Set (24), Get (24 + 4 extras + 5), Noop (24).
      if (out.length >= 24 + 33 + 24) return out;
      await turn();
    }
  }
  const whole = await run([input]);
  t.equal(whole.readUInt32BE(24 + 12), 2, 'get reply opaque');
  t.equal(whole.subarray(24 + 28, 24 + 33).toString(), 'value');
  t.ok((await run([...input].map((_, i) => input.subarray(i, i + 1)))).equals(whole), 'byte by byte');
});

t.test('quit stops reading further requests of the same read', async (t) => {
  const { socket } = openConnection();
  socket.push(Buffer.from('get x\r\nquit\r\nget y\r\n'));
  await turn();
  await turn();
  t.equal(socket.output(), 'END\r\n');
  t.equal(socket.writableEnded, true, 'connection ended');
});
