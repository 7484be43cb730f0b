// A bounded, seeded fuzz run as part of `npm test`: the parsers against
// their invariants, then a live server (in-process, port 0) against the
// model of what memcached does with each stream. `npm run fuzz` runs the
// same fuzzer for as long as asked.

import t from 'tap';
import type { ParseResult, ParserLimits } from '../../protocol/request.js';
import { DEFAULT_LIMITS } from '../../protocol/request.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import { KeyList } from '../../protocol/key-list.js';
import { startServer } from '../../lib/server/server.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from '../../lib/cli/settings.js';
import { runParserFuzz } from '../../fuzz/parser-fuzz.js';
import { checkStream } from '../../fuzz/parser-check.js';
import { pad, simulate } from '../../fuzz/model.js';
import { runLiveFuzz } from '../../fuzz/live.js';
import { generateCase } from '../../fuzz/cases.js';
import { captureCrashes } from './crash-capture.js';
import { connect, send } from '../integration/helpers/exchange.js';

const SEED = 20261121;
const ITEM_MAX = 64 * 1024;
const MODEL = { limits: { maxValueBytes: ITEM_MAX, maxKeyBytes: 250 }, maxPendingInput: 8 * 1024 * 1024 };

t.test('cases are reproducible from seed and number', async (t) => {
  const a = generateCase(SEED, 17, { maxValueBytes: ITEM_MAX });
  const b = generateCase(SEED, 17, { maxValueBytes: ITEM_MAX });
  const c = generateCase(SEED, 18, { maxValueBytes: ITEM_MAX });
  t.ok(a.bytes.equals(b.bytes));
  t.notOk(a.bytes.equals(c.bytes));
});

t.test('parser mode: a seeded run breaks no invariant', async (t) => {
  const r = runParserFuzz({ seed: SEED, maxCases: 15_000, maxValueBytes: ITEM_MAX });
  t.comment(`${r.cases} cases, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.elapsedMs} ms`);
  t.equal(r.cases, 15_000);
  t.equal(r.crashes, 0, 'no parser threw');
  t.same(
    r.failures.unique.map((f) => `${f.signature} (case ${f.caseIndex})`),
    [],
    'no invariant broken',
  );
});

t.test('the invariant checker catches broken parsers', async (t) => {
  const limits: ParserLimits = DEFAULT_LIMITS;
  const stream = Buffer.from('set k 0 0 3\r\nabc\r\nget a b\r\n');
  t.equal(checkStream(parseTextRequest, 'text', stream, limits), null, 'the real parser passes');
  const overConsuming = (buf: Buffer, offset: number, l: ParserLimits): ParseResult => {
    const r = parseTextRequest(buf, offset, l);
    return r.kind === 'ok' ? { ...r, consumed: buf.length - offset + 1 } : r;
  };
  t.match(checkStream(overConsuming, 'text', stream, limits)?.what, /consumed/);
  const badKey = (buf: Buffer, offset: number, l: ParserLimits): ParseResult => {
    const r = parseTextRequest(buf, offset, l);
    if (r.kind === 'ok' && r.request.type === 'get') r.request.keys = KeyList.single(buf.subarray(offset, offset + 5));
    return r;
  };
  t.match(checkStream(badKey, 'text', stream, limits)?.what, /space/);
  const shortValue = (buf: Buffer, offset: number, l: ParserLimits): ParseResult => {
    const r = parseTextRequest(buf, offset, l);
    if (r.kind === 'ok' && r.request.type === 'store') r.request.value = r.request.value.subarray(1);
    return r;
  };
  t.match(checkStream(shortValue, 'text', stream, limits)?.what, /value/);
  const throwing = (): ParseResult => {
    throw new RangeError('boom');
  };
  t.throws(() => checkStream(throwing, 'text', stream, limits), RangeError);
});

t.test('the model says what memcached does with a stream', async (t) => {
  const m = (s: string | Buffer) => simulate(typeof s === 'string' ? Buffer.from(s, 'latin1') : s, MODEL);
  t.equal(m('get a\r\nversion\r\n').outcome, 'open');
  t.equal(m('get a\r\nquit\r\nget b\r\n').outcome, 'closed');
  t.equal(m('GET / HTTP/1.1\r\n').outcome, 'closed', 'a browser is hung up on');
  t.equal(m(Buffer.from([0x80, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81])).outcome, 'closed', 'bad magic');
  t.ok(m(`set a 0 0 5\r\nab`).incomplete);
  t.ok(m(`get ${'x'.repeat(3000)}z\r\n`).mayCloseEarly, 'a long line may be refused, depending on reads');
  const padded = pad(Buffer.from('set a 0 0 5\r\nab'), MODEL);
  t.equal(padded.model.outcome, 'open');
  t.notOk(padded.model.incomplete, 'padding completes the value');
  t.ok(m('ms k 2000000000 X\r\n').incomplete, 'a huge swallow cannot be padded');
  t.ok(pad(Buffer.from('ms k 2000000000 X\r\n'), MODEL).model.incomplete);
});

t.test('live mode: many connections of fuzzed streams against a real server', async (t) => {
  const settings = {
    ...DEFAULT_SETTINGS,
    port: EPHEMERAL_PORT,
    listen: ['127.0.0.1'],
    maxBytes: 64 * 1024 * 1024,
    itemSizeMax: ITEM_MAX,
    flushEnabled: false,
    evictionPolicy: 'none' as const,
    maxConns: 4096,
  };
  const server = await startServer(settings, { logSink: () => {}, closeTimeoutMs: 1000 });
  t.teardown(() => server.close());

  const crashes = captureCrashes(t, server);

  const report = await runLiveFuzz(
    { host: '127.0.0.1', port: server.port, alive: () => true },
    { seed: SEED, connections: 24, maxCases: 6000, maxValueBytes: ITEM_MAX, caseTimeoutMs: 10_000 },
  );
  t.comment(
    `${report.cases} cases over ${report.connectionsOpened} connections in ${report.elapsedMs} ms: ` +
      `${report.probesAnswered} probes answered, ${report.closedAsExpected} closed as memcached closes`,
  );
  t.equal(report.cases, 6000);
  t.ok(report.probesAnswered > 1000, 'most connections stayed usable and were proven so');
  t.ok(report.closedAsExpected > 300, 'fatal input closed connections');
  t.ok(report.serverAlive, 'the server still answers a new connection');
  t.ok(report.sentinelIntact, 'the sentinel key reads back intact');

  t.same(crashes.map((s) => s.split('\n').slice(0, 3).join(' | ')), [], 'no crash');
  const failures = report.failures.unique;
  t.same(
    failures.map((f) => `${f.signature} x${f.count} (case ${f.caseIndex}: ${f.detail.slice(0, 120)})`),
    [],
    'every connection behaved as memcached would',
  );
});

t.test('regression: mg with T-1 on a hit answers and the server survives', async (t) => {
  const server = await startServer({ ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, listen: ['127.0.0.1'] }, { logSink: () => {}, closeTimeoutMs: 1000 });
  t.teardown(() => server.close());
  const crashes = captureCrashes(t, server);
  const socket = await connect(server.port);
  t.teardown(() => socket.destroy());
  const reply = await send(socket, 'set k 0 0 1\r\nx\r\nmg k T-1 v s\r\n');
  // memcached 1.6.18: `VA 1 s1` + the value, then the item is gone.
  t.equal(reply.reply.toString('latin1'), 'STORED\r\nVA 1 s1\r\nx\r\n', 'answered from the item as it was');
  t.equal(crashes.length, 0, 'no crash');
});
