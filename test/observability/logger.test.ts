// -v / -vv logging: levels, memcached's line shapes, and no values or
// passwords in any line.

import t from 'tap';
import {
  createCommandLog,
  formatCommandLine,
  formatConnectionClosed,
  formatNewConnection,
  formatReplyLine,
  formatRequestFault,
  logError,
  logWarning,
  summarizeRequest,
  LOG_COMMANDS,
} from '../../lib/observability/logger.js';
import type { Request } from '../../protocol/request.js';
import { KeyList } from '../../protocol/key-list.js';

const base = { quiet: false, opaque: 0, binaryOpcode: 0 } as const;

function capture(level: number): { lines: string[]; log: ReturnType<typeof createCommandLog> } {
  const lines: string[] = [];
  return { lines, log: createCommandLog(level, (line) => lines.push(line)) };
}

t.test('quiet by default: level 0 prints nothing', async (t) => {
  const { lines, log } = capture(0);
  logError(log, 'failed to listen');
  logWarning(log, 'threads ignored');
  log.line(LOG_COMMANDS, '<17 get foo');
  t.same(lines, []);
});

t.test('-v prints errors and warnings but not commands', async (t) => {
  const { lines, log } = capture(1);
  logError(log, 'failed to listen');
  logWarning(log, 'threads ignored');
  log.line(LOG_COMMANDS, '<17 get foo');
  t.same(lines, ['failed to listen', 'WARNING: threads ignored']);
});

t.test('-vv prints commands; the level can change at run time (verbosity command)', async (t) => {
  const { lines, log } = capture(2);
  log.line(LOG_COMMANDS, '<17 get foo');
  log.level = 0;
  log.line(LOG_COMMANDS, '<17 get bar');
  log.level = 3;
  log.line(3, 'state detail');
  t.same(lines, ['<17 get foo', 'state detail']);
});

t.test('the default sink writes lines to stderr', async (t) => {
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    createCommandLog(1).line(1, 'to stderr');
  } finally {
    process.stderr.write = original;
  }
  t.same(written, ['to stderr\n']);
});

t.test('a very long line is cut, so one log call stays bounded', async (t) => {
  const { lines, log } = capture(2);
  log.line(2, 'x'.repeat(100_000));
  t.equal(lines.length, 1);
  t.ok(lines[0]!.length < 3000);
  t.ok(lines[0]!.endsWith('...'));
});

t.test('command lines look like memcached -vv', async (t) => {
  const get: Request = { ...base, protocol: 'text', type: 'get', keys: KeyList.fromStrings(['foo', 'bar']), withCas: false, touchExptime: undefined, withKey: false };
  t.equal(formatCommandLine(17, get), '<17 get foo bar');
  t.equal(formatReplyLine(17, 'END'), '>17 END');
  t.equal(formatNewConnection(17), '<17 new auto-negotiating client connection');
  t.equal(formatConnectionClosed(17), '<17 connection closed.');
  const gats: Request = { ...get, withCas: true, touchExptime: 30, keys: KeyList.fromStrings(['k']) };
  t.equal(summarizeRequest(gats), 'gats 30 k');
  t.equal(summarizeRequest({ ...gats, withCas: false }), 'gat 30 k');
  t.equal(summarizeRequest({ ...get, withCas: true, keys: KeyList.fromStrings(['k']) }), 'gets k');
});

t.test('no value ever appears in a line', async (t) => {
  const secret = 'TOP-SECRET-VALUE';
  const requests: Request[] = [
    { ...base, protocol: 'text', type: 'store', mode: 'set', key: Buffer.from('k'), value: Buffer.from(secret), flags: 5, exptime: 0, cas: 0 },
    { ...base, protocol: 'text', type: 'store', mode: 'cas', key: Buffer.from('k'), value: Buffer.from(secret), flags: 0, exptime: 10, cas: 99 },
    { ...base, protocol: 'binary', quiet: true, type: 'store', mode: 'append', key: Buffer.from('k'), value: Buffer.from(secret), flags: 0, exptime: 0, cas: 0 },
    { ...base, protocol: 'meta', type: 'ms', key: Buffer.from('k'), base64Key: false, flags: new Map<string, string | true>([['T', '30'], ['F', '1']]), value: Buffer.from(secret) },
  ];
  const summaries = requests.map(summarizeRequest);
  t.same(summaries, ['set k 5 0 16', 'cas k 0 10 16 99', '(binary) append k 0 0 16 noreply', 'ms k 16 T30 F1']);
  for (const s of summaries) t.notMatch(s, secret);
});

t.test('no SASL password ever appears in a line', async (t) => {
  const req: Request = { ...base, protocol: 'binary', type: 'sasl_auth', mechanism: 'PLAIN', data: Buffer.from('\0alice\0hunter2') };
  const line = formatCommandLine(3, req);
  t.equal(line, '<3 (binary) sasl_auth PLAIN');
  t.notMatch(line, 'hunter2');
  t.notMatch(line, 'alice');
});

t.test('every request type has a one-line summary', async (t) => {
  const key = Buffer.from('key');
  const cases: Array<[Request, string]> = [
    [{ ...base, protocol: 'text', type: 'arith', incr: true, key, delta: 5n, initial: 0n, exptime: undefined, cas: 0 }, 'incr key 5'],
    [{ ...base, protocol: 'text', quiet: true, type: 'arith', incr: false, key, delta: 1n, initial: 0n, exptime: undefined, cas: 0 }, 'decr key 1 noreply'],
    [{ ...base, protocol: 'text', type: 'touch', key, exptime: 10 }, 'touch key 10'],
    [{ ...base, protocol: 'text', type: 'delete', key, cas: 0 }, 'delete key'],
    [{ ...base, protocol: 'text', type: 'flush_all', delay: 0 }, 'flush_all'],
    [{ ...base, protocol: 'text', type: 'flush_all', delay: 30 }, 'flush_all 30'],
    [{ ...base, protocol: 'text', type: 'stats', group: '', args: '' }, 'stats'],
    [{ ...base, protocol: 'text', type: 'stats', group: 'detail', args: 'on' }, 'stats detail on'],
    [{ ...base, protocol: 'text', type: 'stats', group: 'items', args: '' }, 'stats items'],
    [{ ...base, protocol: 'text', type: 'verbosity', arg: 1 }, 'verbosity 1'],
    [{ ...base, protocol: 'text', type: 'cache_memlimit', arg: 100 }, 'cache_memlimit 100'],
    [{ ...base, protocol: 'text', type: 'version', arg: 0 }, 'version'],
    [{ ...base, protocol: 'binary', type: 'noop', arg: 0 }, '(binary) noop'],
    [{ ...base, protocol: 'binary', type: 'sasl_list', arg: 0 }, '(binary) sasl_list'],
    [{ ...base, protocol: 'meta', type: 'mg', key, base64Key: false, flags: new Map<string, string | true>([['v', true], ['t', true]]), value: Buffer.alloc(0) }, 'mg key v t'],
    [{ ...base, protocol: 'meta', type: 'md', key: Buffer.from([0xff, 0x00]), base64Key: true, flags: new Map(), value: Buffer.alloc(0) }, 'md /wA='],
  ];
  for (const [req, want] of cases) t.equal(summarizeRequest(req), want, want);
});

t.test('keys with control bytes or spaces cannot forge extra log lines', async (t) => {
  const get: Request = { ...base, protocol: 'binary', type: 'get', keys: KeyList.single(Buffer.from('a\r\nb c')), withCas: false, touchExptime: undefined, withKey: true };
  const line = formatCommandLine(1, get);
  t.equal(line, '<1 (binary) get a\\x0d\\x0ab\\x20c');
  t.notMatch(line, /[\r\n]/);
  const long: Request = { ...get, keys: KeyList.single(Buffer.alloc(300, 'k')) };
  t.equal(summarizeRequest(long), `(binary) get ${'k'.repeat(250)}...`);
});

t.test('reply lines: first line as is, incr/decr results hidden', async (t) => {
  t.equal(formatReplyLine(4, 'VALUE foo 0 5'), '>4 VALUE foo 0 5');
  t.equal(formatReplyLine(4, '18446744073709551615'), '>4 [number]', 'an incr result is the item value');
  t.equal(formatReplyLine(4, 'SERVER_ERROR out of memory\r\nX'), '>4 SERVER_ERROR out of memory\\x0d\\x0aX');
  t.equal(formatReplyLine(4, 'E'.repeat(400)), `>4 ${'E'.repeat(300)}...`);
});

t.test('a request fault line names the command and code location, never the message', async (t) => {
  const err = new RangeError('offset of secret-value out of range');
  const line = formatRequestFault(5, { type: 'arith', protocol: 'text', incr: true, key: Buffer.from('k'), delta: 1n, initial: 0n, exptime: undefined, cas: 0, quiet: false, opaque: 0, binaryOpcode: 0 }, err);
  t.match(line, /^ERROR: <5 request fault in incr \(text\): RangeError at \S/);
  t.notMatch(line, /secret-value/);
  t.match(formatRequestFault(6, null, 'thrown string'), /^ERROR: <6 request fault in parsing a request: string; connection closed$/);
});
