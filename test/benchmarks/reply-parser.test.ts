import t from 'tap';
import { ReplyParser, type Reply, type ReplyKind } from '../../benchmarks/core/reply-parser.js';

const STREAM = Buffer.from(
  'STORED\r\n' +
    'VALUE k1 5 7\r\nab\r\ncd!\r\nVALUE k2 0 0\r\n\r\nEND\r\n' +
    'END\r\n' +
    'VALUE k3 1 3 99\r\nxyz\r\nEND\r\n' +
    'STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n' +
    'CLIENT_ERROR bad command line format\r\n' +
    'NOT_FOUND\r\n',
  'latin1',
);
const KINDS: ReplyKind[] = ['line', 'values', 'values', 'values', 'stats', 'values', 'line'];

function parseIn(chunks: Buffer[]): { replies: Reply[]; pending: number } {
  const replies: Reply[] = [];
  const p = new ReplyParser((r) => replies.push(r));
  for (const k of KINDS) p.expect(k);
  for (const c of chunks) p.feed(c);
  return { replies, pending: p.pending };
}

/** Replies as plain data (value bytes as text) for deep comparison. */
function plain(replies: Reply[]): unknown[] {
  return replies.map((r) => (r.kind === 'values' ? { ...r, values: r.values.map((v) => ({ ...v, data: v.data.toString('latin1') })) } : r));
}

const EXPECTED = [
  { kind: 'line', line: 'STORED' },
  {
    kind: 'values',
    values: [
      { key: 'k1', flags: 5, cas: -1, data: 'ab\r\ncd!' },
      { key: 'k2', flags: 0, cas: -1, data: '' },
    ],
    error: undefined,
  },
  { kind: 'values', values: [], error: undefined },
  { kind: 'values', values: [{ key: 'k3', flags: 1, cas: 99, data: 'xyz' }], error: undefined },
  { kind: 'stats', lines: ['STAT pid 1', 'STAT uptime 2'], error: undefined },
  { kind: 'values', values: [], error: 'CLIENT_ERROR bad command line format' },
  { kind: 'line', line: 'NOT_FOUND' },
];

t.test('whole stream', async (t) => {
  const { replies, pending } = parseIn([STREAM]);
  t.same(plain(replies), EXPECTED);
  t.equal(pending, 0);
});

t.test('byte by byte', async (t) => {
  const { replies, pending } = parseIn([...STREAM].map((b) => Buffer.from([b])));
  t.same(plain(replies), EXPECTED);
  t.equal(pending, 0);
});

t.test('every two-way split', async (t) => {
  let bad = 0;
  for (let i = 1; i < STREAM.length; i++) {
    const { replies } = parseIn([STREAM.subarray(0, i), STREAM.subarray(i)]);
    if (JSON.stringify(plain(replies)) !== JSON.stringify(EXPECTED)) bad++;
  }
  t.equal(bad, 0);
});

t.test('bytes nobody asked for and bad VALUE lines throw', async (t) => {
  const p = new ReplyParser(() => {});
  t.throws(() => p.feed(Buffer.from('STORED\r\n')), /no request pending/);
  const q = new ReplyParser(() => {});
  q.expect('values');
  t.throws(() => q.feed(Buffer.from('VALUE k 0 x\r\n')), /bad VALUE/);
  const r = new ReplyParser(() => {});
  r.expect('values');
  t.throws(() => r.feed(Buffer.from('STORED\r\n')), /unexpected line/);
});
