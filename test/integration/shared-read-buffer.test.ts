// Plain connections of a thread read into one shared buffer
// (lib/server/direct-reads.ts). A multi-get whose reply stops for a client
// that does not read must not lose its remaining keys when other connections'
// reads overwrite that buffer meanwhile: every key is answered, in order,
// with its own value.

import t from 'tap';
import { connect, readUntil, send, eventually } from './helpers/exchange.js';
import { startTestServer } from './helpers/server.js';
import type { Connection } from '../../lib/server/connection.js';


t.test('the rest of a stopped multi-get survives other connections reading', async (t) => {
  const { server, port } = await startTestServer(t, { threads: 1, maxBytes: 64 * 1024 * 1024 });
  const count = 25;
  const size = 300_000;
  // Keys of equal length, so another connection's line puts different key
  // bytes at the same offsets of the shared buffer.
  const key = (i: number): string => `key${String(i).padStart(2, '0')}`;
  const valueOf = (i: number): string => String.fromCharCode(97 + i).repeat(size);
  const loader = await connect(port);
  t.teardown(() => loader.destroy());
  for (let i = 0; i < count; i++) {
    t.equal((await send(loader, `set ${key(i)} 0 0 ${size}\r\n${valueOf(i)}\r\n`)).reply.toString(), 'STORED\r\n');
  }

  // 7.5 MB of replies to a client that does not read: the get stops past OUTPUT_LIMIT.
  const slow = await connect(port);
  t.teardown(() => slow.destroy());
  slow.pause();
  const keys = Array.from({ length: count }, (_, i) => key(i));
  slow.write(`get ${keys.join(' ')}\r\n`);
  const waiting = (): Connection | undefined => [...server.connections()].find((c) => (c as Connection).isWaitingForDrain) as Connection | undefined;
  await eventually(() => waiting() !== undefined);

  // Meanwhile another connection reads lines of the same shape with other keys.
  const other = Array.from({ length: count }, (_, i) => `kez${String(i).padStart(2, '0')}`);
  for (let round = 0; round < 20; round++) {
    t.equal((await send(loader, `get ${other.join(' ')}\r\n`)).reply.toString(), 'END\r\n');
  }

  const expected = keys.map((k, i) => `VALUE ${k} 0 ${size}\r\n${valueOf(i)}\r\n`).join('') + 'END\r\n';
  // Until the whole reply, or its END if keys went missing (the failure this looks for).
  const pending = readUntil(slow, (got) => got.length >= expected.length || got.toString('latin1', got.length - 7) === '\r\nEND\r\n');
  slow.resume();
  const { reply } = await pending;
  t.equal(reply.length, expected.length, 'the whole reply');
  const heads = [...reply.toString('latin1').matchAll(/VALUE (\S+) 0 (\d+)\r\n(.)/g)].map((m) => `${m[1]}=${m[3]}`);
  t.same(
    heads,
    keys.map((k, i) => `${k}=${String.fromCharCode(97 + i)}`),
    'every key, in order, with its own value',
  );
  t.ok(reply.toString('latin1') === expected, 'byte for byte');
});
