// Raw binary packets over TCP to a real server: exact replies, pipelining,
// packets split at every byte, swallowed oversized values, quiet runs ended
// by a Noop, and the closes memcached performs. Checks that the connection
// and the parser agree on framing.

import t from 'tap';
import net from 'node:net';
import { startTestServer } from './server.js';
import { decodeReplies, packet, reply, storeExtras, type Reply } from './packets.js';

const SENTINEL = 0x5e5e5e5e;
const noop = (opaque = SENTINEL) => packet({ opcode: 0x0a, opaque });

/**
 * Open a connection, write `pieces` one write at a time (waiting for each to
 * be flushed), and collect replies until a Noop reply with the sentinel
 * opaque arrives or the server closes.
 */
function exchange(port: number, pieces: Buffer[]): Promise<{ replies: Reply[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ replies: decodeReplies(received), closed });
    };
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      // Done once the sentinel Noop reply is complete.
      let i = 0;
      while (received.length - i >= 24) {
        const len = 24 + received.readUInt32BE(i + 8);
        if (received.length - i < len) return;
        if (received[i + 1] === 0x0a && received.readUInt32BE(i + 12) === SENTINEL) return finish(false);
        i += len;
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err) => (done ? undefined : reject(err)));
    const send = async (): Promise<void> => {
      for (const p of pieces) {
        if (socket.destroyed) return;
        await new Promise<void>((r) => socket.write(p, () => r()));
      }
    };
    socket.on('connect', () => {
      send().catch(reject);
    });
  });
}

t.test('binary over the wire', async (t) => {
  const { server, port } = await startTestServer({ itemSizeMax: 64 * 1024 });
  t.teardown(() => server.close());

  const set = (key: string, value: string | Buffer, opcode = 0x01, opaque = 0) =>
    packet({ opcode, key, extras: storeExtras(5, 0), value, opaque });

  t.test('pipelined commands answered in order, quiet ones silent', async (t) => {
    const batch = Buffer.concat([
      set('a', 'A', 0x11, 1), // SetQ: silent
      set('b', 'B', 0x11, 2),
      packet({ opcode: 0x09, key: 'a', opaque: 3 }), // GetQ hit
      packet({ opcode: 0x09, key: 'zz', opaque: 4 }), // GetQ miss: silent
      packet({ opcode: 0x0d, key: 'b', opaque: 5 }), // GetKQ hit
      noop(),
    ]);
    const { replies, closed } = await exchange(port, [batch]);
    t.notOk(closed);
    t.strictSame(
      replies.map((r) => ({ ...r, cas: 0n })),
      [
        reply({ opcode: 0x09, opaque: 3, extras: '00000005', value: 'A' }),
        reply({ opcode: 0x0d, opaque: 5, extras: '00000005', key: 'b', value: 'B' }),
        reply({ opcode: 0x0a, opaque: SENTINEL }),
      ],
    );
  });

  t.test('a batch split at every byte gives the same replies', async (t) => {
    const batch = Buffer.concat([set('split', 'value-1', 0x01, 1), packet({ opcode: 0x00, key: 'split', opaque: 2 }), noop()]);
    const pieces = [...batch].map((b) => Buffer.from([b]));
    const { replies } = await exchange(port, pieces);
    t.strictSame(
      replies.map((r) => [r.opcode, r.opaque, r.status, r.value]),
      [
        [0x01, 1, 0, ''],
        [0x00, 2, 0, 'value-1'],
        [0x0a, SENTINEL, 0, ''],
      ],
    );
  });

  t.test('an oversized value is swallowed and the connection goes on', async (t) => {
    const big = set('big', Buffer.alloc(200 * 1024, 0x78), 0x01, 7);
    // Send it in a few pieces so the swallow spans reads.
    const pieces = [
      set('big', 'old', 0x01, 6),
      big.subarray(0, 30),
      big.subarray(30, 100_000),
      big.subarray(100_000),
      packet({ opcode: 0x00, key: 'a', opaque: 8 }),
      packet({ opcode: 0x00, key: 'big', opaque: 9 }),
      noop(),
    ];
    const { replies, closed } = await exchange(port, pieces);
    t.notOk(closed);
    t.strictSame(
      replies.map((r) => [r.opcode, r.opaque, r.status, r.value]),
      [
        [0x01, 6, 0, ''],
        [0x01, 7, 0x03, 'Too large.'],
        [0x00, 8, 0, 'A'],
        [0x00, 9, 0x01, 'Not found'], // memcached unlinks the old value of a refused set
        [0x0a, SENTINEL, 0, ''],
      ],
    );
  });

  t.test('an unknown opcode is answered and its body skipped exactly', async (t) => {
    const unknown = packet({ opcode: 0x50, key: 'ab', value: 'xyz', opaque: 1 });
    const { replies, closed } = await exchange(port, [Buffer.concat([unknown, noop()])]);
    t.notOk(closed);
    t.strictSame(replies, [reply({ opcode: 0x50, opaque: 1, status: 0x81, value: 'Unknown command' }), reply({ opcode: 0x0a, opaque: SENTINEL })]);
  });

  t.test('bad magic after a good packet: earlier replies sent, then closed', async (t) => {
    const { replies, closed } = await exchange(port, [Buffer.concat([packet({ opcode: 0x0a, opaque: 1 }), packet({ opcode: 0x0a, magic: 0x81 })])]);
    t.ok(closed);
    t.strictSame(replies, [reply({ opcode: 0x0a, opaque: 1 })]);
  });

  t.test('malformed lengths: Invalid arguments, then closed', async (t) => {
    const { replies, closed } = await exchange(port, [Buffer.concat([packet({ opcode: 0x00, key: 'k', extras: Buffer.alloc(4), opaque: 3 }), noop()])]);
    t.ok(closed);
    t.strictSame(replies, [reply({ opcode: 0x00, opaque: 3, status: 0x04, value: 'Invalid arguments' })]);
  });

  t.test('Quit answers then closes; QuitQ just closes', async (t) => {
    const quit = await exchange(port, [Buffer.concat([packet({ opcode: 0x07, opaque: 9 }), noop()])]);
    t.ok(quit.closed);
    t.strictSame(quit.replies, [reply({ opcode: 0x07, opaque: 9 })]);
    const quitq = await exchange(port, [Buffer.concat([packet({ opcode: 0x17, opaque: 9 }), noop()])]);
    t.ok(quitq.closed);
    t.strictSame(quitq.replies, []);
  });
});

t.test('with SASL on, text commands are not served', async (t) => {
  const dir = t.testdir({ pwdb: 'alice:s3cret\n' });
  const { server, port } = await startTestServer({ saslEnabled: true, saslPwdb: `${dir}/pwdb` });
  t.teardown(() => server.close());
  const { replies, closed } = await exchange(port, [Buffer.from('version\r\n')]);
  // memcached -S speaks only binary: text is a bad magic byte and the
  // connection closes (memcached first waits for 24 bytes; we close at once).
  t.ok(closed, 'text closes the connection');
  t.strictSame(replies, []);
  const auth = await exchange(port, [
    Buffer.concat([
      packet({ opcode: 0x21, key: 'PLAIN', value: '\0alice\0s3cret', opaque: 1 }),
      packet({ opcode: 0x01, key: 'k', extras: storeExtras(0, 0), value: 'v', opaque: 2 }),
      noop(),
    ]),
  ]);
  t.strictSame(auth.replies.map((r) => [r.opcode, r.status, r.value]), [
    [0x21, 0, 'Authenticated'],
    [0x01, 0, ''],
    [0x0a, 0, ''],
  ]);
});
