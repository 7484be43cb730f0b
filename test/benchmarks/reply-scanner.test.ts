import t from 'tap';
import { KIND_GET, KIND_SET, ReplyScanner, valueBytes } from '../../benchmarks/loadgen/reply-scanner.js';

const STREAM = Buffer.from(
  'VALUE key:01 0 5\r\nhe\r\nl\r\nEND\r\n' + // hit whose data holds CRLF
    'END\r\n' + // miss
    'STORED\r\n' +
    'VALUE a 0 1\r\nx\r\nVALUE b 0 2 77\r\nyz\r\nEND\r\n' + // two values, one with a CAS field
    'SERVER_ERROR out of memory storing object\r\n' +
    'SERVER_ERROR object too large for cache\r\n',
  'latin1',
);
const KINDS = [KIND_GET, KIND_GET, KIND_SET, KIND_GET, KIND_SET, KIND_GET];

function scanIn(chunks: Buffer[]): { done: number; values: number; errors: number; inFlight: number; lastError: string } {
  const s = new ReplyScanner(8);
  for (const k of KINDS) s.push(k);
  let done = 0;
  for (const c of chunks) done += s.scan(c);
  return { done, values: s.values, errors: s.errors, inFlight: s.inFlight, lastError: s.lastError };
}

const EXPECTED = { done: 6, values: 3, errors: 2, inFlight: 0, lastError: 'SERVER_ERROR object too large for cache' };

t.test('whole, byte by byte and split anywhere', async (t) => {
  t.same(scanIn([STREAM]), EXPECTED);
  t.same(scanIn([...STREAM].map((b) => Buffer.from([b]))), EXPECTED);
  let bad = 0;
  for (let i = 1; i < STREAM.length; i++) if (JSON.stringify(scanIn([STREAM.subarray(0, i), STREAM.subarray(i)])) !== JSON.stringify(EXPECTED)) bad++;
  t.equal(bad, 0);
});

t.test('completions are counted per read', async (t) => {
  const s = new ReplyScanner(4);
  s.push(KIND_SET);
  s.push(KIND_SET);
  t.equal(s.scan(Buffer.from('STORED\r\nSTO')), 1);
  t.equal(s.inFlight, 1);
  t.equal(s.scan(Buffer.from('RED\r\n')), 1);
  t.equal(s.errors, 0);
});

t.test('ring capacity and stray bytes', async (t) => {
  const s = new ReplyScanner(1);
  s.push(KIND_SET);
  t.throws(() => s.push(KIND_SET), /too many/);
  const idle = new ReplyScanner(2);
  t.throws(() => idle.scan(Buffer.from('STORED\r\n')), /no request/);
});

t.test('valueBytes reads the length field, with or without CAS', async (t) => {
  const a = Buffer.from('VALUE key:000 123 4567\r\n');
  t.equal(valueBytes(a, 0, a.indexOf(10)), 4567);
  const b = Buffer.from('xxVALUE k 0 12 999\r\n');
  t.equal(valueBytes(b, 2, b.indexOf(10)), 12);
  const c = Buffer.from('VALUE k\r\n');
  t.throws(() => valueBytes(c, 0, c.indexOf(10)));
});
