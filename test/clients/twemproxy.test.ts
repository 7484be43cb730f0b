// twemproxy (Debian's nutcracker 0.5.0) in front of three servers, the way
// operators scale memcached out. A plain text-protocol client written here
// talks to the proxy only. The proxy spreads the keys over the servers by
// ketama, splits multi-key gets and merges their replies.
// The first test runs a fixed request sequence through the proxy in front
// of three of our servers and checks the replies by value, then asks each
// server directly which keys it holds.
// The second runs the same sequence through a second proxy in front of
// three real memcached and holds the raw replies byte for byte to theirs,
// CAS tokens aside.
// nutcracker answers `stats` by closing the connection, in front of either
// set; both tests assert that. Servers are named in its config, so keys
// land on the same-named server in both sets.
// Not here: twemproxy's Redis side, host ejection and failover, or client
// libraries (the other files in test/clients/).

import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { runScript } from './helpers.js';
import { connect, readUntil, show } from '../integration/helpers/exchange.js';
import { startTestServer } from '../integration/helpers/server.js';
import { needs, peerCommand } from '../peers.js';

// ---------------------------------------------------------------- processes

/** A port that was free a moment ago: bind port 0, note the port, close. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolve once 127.0.0.1:port accepts a connection; reject if `child` exits first. */
function untilListening(port: number, child: ChildProcess, describeFailure: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`exited before listening on ${port}: ${describeFailure()}`));
        return;
      }
      const probe = net.connect(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve();
      });
      probe.once('error', () => setTimeout(attempt, 20));
    };
    attempt();
  });
}

/** SIGTERM, then SIGKILL if the process is still there two seconds later. */
function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const lingering = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(lingering);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Spawn a peer that is stopped when the test ends, or killed if this process ends first. */
function spawnStoppedAtTeardown(t: Test, command: string, args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const reap = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  t.teardown(() => stopProcess(child));
  return { child, stderr: () => stderr };
}

/** Three of our servers (in-process, default -t 4), their TCP ports. */
async function startOurServers(t: Test): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) ports.push((await startTestServer(t, { maxBytes: 64 * 1024 * 1024 })).port);
  return ports;
}

/** Three real memcached on TCP (the shared helper's use a unix socket; nutcracker's backends here are TCP). */
async function startTcpMemcacheds(t: Test): Promise<number[]> {
  const ports: number[] = [];
  // As root memcached insists on -u.
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const args = ['-U', '0', '-l', '127.0.0.1', '-p', String(port), '-m', '64', ...user];
    const { child, stderr } = spawnStoppedAtTeardown(t, peerCommand('memcached'), args);
    await untilListening(port, child, stderr);
    ports.push(port);
  }
  return ports;
}

/** Server names in the config: ketama places keys by name, so both proxies place every key alike. */
const SERVER_NAMES = ['server-a', 'server-b', 'server-c'];

function nutcrackerConfig(listenPort: number, backendPorts: number[]): string {
  const servers = backendPorts.map((port, i) => `   - 127.0.0.1:${port}:1 ${SERVER_NAMES[i]}`);
  return [
    'cache:',
    `  listen: 127.0.0.1:${listenPort}`,
    '  hash: fnv1a_64',
    '  distribution: ketama',
    '  timeout: 5000',
    '  auto_eject_hosts: false',
    '  servers:',
    ...servers,
    '',
  ].join('\n');
}

/**
 * nutcracker in front of `backendPorts`, config checked with -t first, its
 * log in a test directory; stopped when the test ends. Returns its port.
 */
async function startNutcracker(t: Test, backendPorts: number[]): Promise<number> {
  const dir = t.testdir({});
  const conf = join(dir, 'nutcracker.yml');
  const log = join(dir, 'nutcracker.log');
  const listenPort = await freePort();
  writeFileSync(conf, nutcrackerConfig(listenPort, backendPorts));

  const check = await runScript(peerCommand('nutcracker'), ['-t', '-c', conf]);
  t.equal(check.code, 0, `nutcracker -t accepts the config: ${check.stdout}${check.stderr}`);
  t.match(check.stdout + check.stderr, /syntax is ok/, 'nutcracker -t: syntax is ok');

  const statsPort = await freePort();
  const args = ['-c', conf, '-s', String(statsPort), '-a', '127.0.0.1', '-o', log, '-v', '4'];
  const { child, stderr } = spawnStoppedAtTeardown(t, peerCommand('nutcracker'), args);
  await untilListening(listenPort, child, () => `${stderr()}\n${readLog(log)}`);
  return listenPort;
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '(no log)';
  }
}

// ------------------------------------------------------------- text client

/** One line of a reply (CRLF removed); `data` is the value block after a VALUE line. */
interface ReplyPart {
  line: string;
  data?: Buffer;
}

/**
 * The complete lines (and VALUE blocks) at the start of `buf`, and where
 * the partial tail that is left out begins.
 */
function parseReply(buf: Buffer): { parts: ReplyPart[]; parsedBytes: number } {
  const parts: ReplyPart[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at, 'latin1');
    if (eol < 0) break;
    const line = buf.toString('latin1', at, eol);
    if (!line.startsWith('VALUE ')) {
      parts.push({ line });
      at = eol + 2;
      continue;
    }
    const bytes = Number(line.split(' ')[3]);
    const end = eol + 2 + bytes;
    if (buf.length < end + 2) break;
    parts.push({ line, data: buf.subarray(eol + 2, end) });
    at = end + 2;
  }
  return { parts, parsedBytes: at };
}

/** How many whole replies `buf` holds: each is one line, a retrieval's VALUE blocks belong to its END. */
function completeReplies(buf: Buffer): number {
  return parseReply(buf).parts.filter((part) => part.data === undefined).length;
}

interface Exchanged {
  reply: Buffer;
  /** The proxy closed the connection instead of answering in full. */
  closed: boolean;
}

/** Write `request` (possibly several pipelined commands) and read until `replies` whole replies are in. */
async function exchange(socket: net.Socket, request: Buffer, replies: number): Promise<Exchanged> {
  // Closed by an earlier step: no 'close' event will come to end the read.
  if (socket.destroyed) return { reply: Buffer.alloc(0), closed: true };
  const pending = readUntil(socket, (got) => completeReplies(got) >= replies);
  socket.write(request);
  return pending;
}

/** A storage command: `verb key flags exptime bytes[ extra]\r\ndata\r\n`. */
function storage(verb: string, key: string, value: Buffer | string, flags = 0, extra = ''): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const head = `${verb} ${key} ${flags} 0 ${data.length}${extra === '' ? '' : ` ${extra}`}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), data, Buffer.from('\r\n')]);
}

function line(text: string): Buffer {
  return Buffer.from(`${text}\r\n`, 'latin1');
}

interface Value {
  key: string;
  flags: number;
  cas?: string;
  data: Buffer;
}

/** The VALUE blocks of a retrieval reply, in reply order. */
function valuesIn(reply: Buffer): Value[] {
  return parseReply(reply).parts.flatMap((part) => {
    if (part.data === undefined) return [];
    const [, key = '', flags = '', , cas] = part.line.split(' ');
    return [{ key, flags: Number(flags), ...(cas === undefined ? {} : { cas }), data: part.data }];
  });
}

// ------------------------------------------------------- request sequence

/**
 * The number sits mid-key on purpose: nutcracker 0.5.0's fnv1a_64 keeps a
 * 32-bit state and multiplies by 0x1b3 (the 64-bit prime cut to 32 bits),
 * so keys that differ only in their last bytes hash close together and
 * ketama puts nearly all of `key:000`..`key:199` on one or two servers.
 */
const KEYS = Array.from({ length: 200 }, (_, i) => `user:${String(i).padStart(3, '0')}:profile`);
const valueOf = (key: string): string => `value-of-${key}`;
const flagsOf = (i: number): number => i * 7;
const MULTI_GET_KEYS = KEYS.slice(0, 50);
/** Every tenth key replaced by a key that was never stored. */
const MULTI_GET_WITH_MISSES = MULTI_GET_KEYS.map((key, i) => (i % 10 === 3 ? `never-stored:${i}` : key));

/** 500 KiB that hold CRLFs and an END line, so a reader that scans for END instead of counting bytes fails. */
function largeValue(): Buffer {
  const value = Buffer.alloc(500 * 1024);
  for (let i = 0; i < value.length; i++) value[i] = (i * 31 + (i >> 8)) & 0xff;
  value.write('\r\nEND\r\n', 1000, 'latin1');
  return value;
}
const LARGE = largeValue();

interface Step extends Exchanged {
  label: string;
}

/**
 * The fixed request sequence, sent through the proxy at `port` on one
 * connection (stats on a second, since the proxy may close it). Records
 * every reply; asserts nothing, so it runs alike in front of either set.
 */
async function runSequence(port: number): Promise<Step[]> {
  const steps: Step[] = [];
  const socket = await connect(port);
  const ask = async (label: string, request: Buffer, replies = 1): Promise<Buffer> => {
    const exchanged = await exchange(socket, request, replies);
    steps.push({ label, ...exchanged });
    return exchanged.reply;
  };
  try {
    await ask('set 200 keys, pipelined', Buffer.concat(KEYS.map((k, i) => storage('set', k, valueOf(k), flagsOf(i)))), KEYS.length);
    await ask('get 200 keys one by one, pipelined', Buffer.concat(KEYS.map((k) => line(`get ${k}`))), KEYS.length);
    await ask('get 50 keys in one request', line(`get ${MULTI_GET_KEYS.join(' ')}`));
    await ask('get 50 keys with misses among them', line(`get ${MULTI_GET_WITH_MISSES.join(' ')}`));

    await ask('set cas-key', storage('set', 'cas-key', 'first'));
    const gets = await ask('gets cas-key', line('gets cas-key'));
    const token = valuesIn(gets)[0]?.cas ?? 'no-token';
    await ask('cas with the current token', storage('cas', 'cas-key', 'second', 0, token));
    await ask('cas with the stale token', storage('cas', 'cas-key', 'third', 0, token));
    await ask('get cas-key after cas', line('get cas-key'));
    await ask('cas on a missing key', storage('cas', 'no-cas-key', 'x', 0, token));

    await ask('set counter', storage('set', 'counter', '10'));
    await ask('incr counter 5', line('incr counter 5'));
    await ask('decr counter 20', line('decr counter 20'));
    await ask('incr a missing key', line('incr no-counter 1'));
    await ask('incr a non-numeric value', line('incr cas-key 1'));
    await ask('set counter to 2^64-1', storage('set', 'counter', '18446744073709551615'));
    await ask('incr counter past 2^64-1', line('incr counter 1'));

    await ask('add an existing key', storage('add', 'cas-key', 'nope'));
    await ask('add a new key', storage('add', 'edit-key', 'new'));
    await ask('replace a missing key', storage('replace', 'no-edit-key', 'x'));
    await ask('replace an existing key', storage('replace', 'edit-key', 'replaced'));
    await ask('append', storage('append', 'edit-key', '-end'));
    await ask('prepend', storage('prepend', 'edit-key', 'start-'));
    await ask('append to a missing key', storage('append', 'no-edit-key', 'x'));
    await ask('get edit-key after the edits', line('get edit-key'));

    await ask('touch an existing key', line('touch edit-key 3600'));
    await ask('touch a missing key', line('touch no-edit-key 3600'));
    await ask('get edit-key after touch', line('get edit-key'));

    await ask('delete an existing key', line('delete edit-key'));
    await ask('delete it again', line('delete edit-key'));
    await ask('get a deleted key', line('get edit-key'));

    await ask('set 500 KiB', storage('set', 'large-key', LARGE, 42));
    await ask('get 500 KiB', line('get large-key'));

    await ask('set noreply, then get', Buffer.concat([storage('set', 'quiet-key', 'hushed', 5, 'noreply'), line('get quiet-key')]));
    await ask('delete noreply, then get', Buffer.concat([line('delete quiet-key noreply'), line('get quiet-key')]));

    await ask('version', line('version'));
  } finally {
    socket.destroy();
  }

  const statsSocket = await connect(port);
  try {
    steps.push({ label: 'stats', ...(await exchange(statsSocket, line('stats'), 1)) });
  } finally {
    statsSocket.destroy();
  }
  return steps;
}

function replyOf(steps: Step[], label: string): Buffer {
  const step = steps.find((s) => s.label === label);
  if (step === undefined) throw new Error(`no step labelled ${label}`);
  return step.reply;
}

/** A retrieval reply holding exactly these keys, in this order, with their values and flags. */
function expectedValues(keys: string[]): string {
  const blocks = keys.map((k) => `VALUE ${k} ${flagsOf(KEYS.indexOf(k))} ${valueOf(k).length}\r\n${valueOf(k)}\r\n`);
  return `${blocks.join('')}END\r\n`;
}

/** Replies whose bytes are fixed, as memcached 1.6.18 sends them. */
const FIXED_REPLIES: Array<[label: string, reply: string]> = [
  ['set 200 keys, pipelined', 'STORED\r\n'.repeat(KEYS.length)],
  ['get 200 keys one by one, pipelined', KEYS.map((k) => expectedValues([k])).join('')],
  ['get 50 keys in one request', expectedValues(MULTI_GET_KEYS)],
  ['set cas-key', 'STORED\r\n'],
  ['cas with the current token', 'STORED\r\n'],
  ['cas with the stale token', 'EXISTS\r\n'],
  ['get cas-key after cas', 'VALUE cas-key 0 6\r\nsecond\r\nEND\r\n'],
  ['cas on a missing key', 'NOT_FOUND\r\n'],
  ['set counter', 'STORED\r\n'],
  ['incr counter 5', '15\r\n'],
  ['decr counter 20', '0\r\n'],
  ['incr a missing key', 'NOT_FOUND\r\n'],
  ['incr a non-numeric value', 'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n'],
  ['set counter to 2^64-1', 'STORED\r\n'],
  ['incr counter past 2^64-1', '0\r\n'],
  ['add an existing key', 'NOT_STORED\r\n'],
  ['add a new key', 'STORED\r\n'],
  ['replace a missing key', 'NOT_STORED\r\n'],
  ['replace an existing key', 'STORED\r\n'],
  ['append', 'STORED\r\n'],
  ['prepend', 'STORED\r\n'],
  ['append to a missing key', 'NOT_STORED\r\n'],
  ['get edit-key after the edits', 'VALUE edit-key 0 18\r\nstart-replaced-end\r\nEND\r\n'],
  ['touch an existing key', 'TOUCHED\r\n'],
  ['touch a missing key', 'NOT_FOUND\r\n'],
  ['get edit-key after touch', 'VALUE edit-key 0 18\r\nstart-replaced-end\r\nEND\r\n'],
  ['delete an existing key', 'DELETED\r\n'],
  ['delete it again', 'NOT_FOUND\r\n'],
  ['get a deleted key', 'END\r\n'],
  ['set 500 KiB', 'STORED\r\n'],
  ['set noreply, then get', 'VALUE quiet-key 5 6\r\nhushed\r\nEND\r\n'],
  ['delete noreply, then get', 'END\r\n'],
];

/**
 * Every hit once, with its flags and value, then END. Not in request order:
 * nutcracker 0.5.0 fills each key's slot with the next value its server
 * sent, so a miss shifts that server's later values forward. It does the
 * same in front of memcached (the second test holds the bytes equal).
 */
function checkMultiGetWithMisses(t: Test, reply: Buffer): void {
  const hits = MULTI_GET_WITH_MISSES.filter((k) => KEYS.includes(k));
  const describe = (v: Value): string => `${v.key} ${v.flags} ${v.data.toString('latin1')}`;
  t.same(
    valuesIn(reply).map(describe).sort(),
    hits.map((k) => `${k} ${flagsOf(KEYS.indexOf(k))} ${valueOf(k)}`).sort(),
    `get 50 keys with misses among them: each of the ${hits.length} hits once, with its flags and value`,
  );
  const { parts, parsedBytes } = parseReply(reply);
  t.same(
    { lines: parts.filter((p) => p.data === undefined).map((p) => p.line), rest: reply.length - parsedBytes },
    { lines: ['END'], rest: 0 },
    'get 50 keys with misses among them: one END closes it',
  );
}

function checkRepliesByValue(t: Test, steps: Step[]): void {
  for (const [label, expected] of FIXED_REPLIES) t.equal(replyOf(steps, label).toString('latin1'), expected, label);

  checkMultiGetWithMisses(t, replyOf(steps, 'get 50 keys with misses among them'));

  const gets = valuesIn(replyOf(steps, 'gets cas-key'));
  t.equal(gets.length, 1, 'gets cas-key: one value');
  t.match(gets[0]?.cas, /^\d+$/, 'gets cas-key: a numeric CAS token');
  t.equal(gets[0]?.data.toString('latin1'), 'first', 'gets cas-key: its value');

  const large = valuesIn(replyOf(steps, 'get 500 KiB'));
  t.equal(large.length, 1, 'get 500 KiB: one value');
  t.equal(large[0]?.flags, 42, 'get 500 KiB: its flags');
  t.ok(large[0]?.data.equals(LARGE), `get 500 KiB: the same ${LARGE.length} bytes (got ${large[0]?.data.length ?? 0})`);

  t.match(replyOf(steps, 'version').toString('latin1'), /^VERSION \S+\r\n$/, 'version is forwarded to a server');

  const stats = steps.find((s) => s.label === 'stats');
  t.same(
    { reply: show(stats?.reply ?? ''), closed: stats?.closed },
    { reply: '', closed: true },
    'stats: twemproxy does not forward it; it closes the connection without a reply',
  );
  t.equal(steps.length, FIXED_REPLIES.length + 5, 'every step ran');
}

// ------------------------------------------------------- where keys live

/** Which of the 200 keys each backend holds, asked of each directly (one multi-key get). */
async function keysPerServer(ports: number[]): Promise<string[][]> {
  const shares: string[][] = [];
  for (const port of ports) {
    const socket = await connect(port);
    try {
      const { reply } = await exchange(socket, line(`get ${KEYS.join(' ')}`), 1);
      shares.push(valuesIn(reply).map((v) => v.key));
    } finally {
      socket.destroy();
    }
  }
  return shares;
}

function checkEveryServerHoldsAShare(t: Test, shares: string[][]): void {
  shares.forEach((share, i) => t.ok(share.length > 0, `${SERVER_NAMES[i]} holds ${share.length} of the ${KEYS.length} keys`));
  t.equal(
    shares.reduce((sum, share) => sum + share.length, 0),
    KEYS.length,
    'the shares add up to every key',
  );
  t.same(shares.flat().sort(), KEYS, 'each key on exactly one server');
  shares.forEach((share, i) =>
    t.ok(
      MULTI_GET_KEYS.some((k) => share.includes(k)),
      `the 50-key get spans ${SERVER_NAMES[i]}, so twemproxy had to split and merge it`,
    ),
  );
}

// ------------------------------------------------------ ours vs memcached

/** The reply with each CAS token (the fifth word of a VALUE line) replaced by `<cas>`. */
function withoutCasTokens(reply: Buffer): Buffer {
  const { parts, parsedBytes } = parseReply(reply);
  const out: Buffer[] = [];
  for (const part of parts) {
    const words = part.line.split(' ');
    const header = part.data !== undefined && words.length === 5 ? [...words.slice(0, 4), '<cas>'].join(' ') : part.line;
    out.push(Buffer.from(`${header}\r\n`, 'latin1'));
    if (part.data !== undefined) out.push(part.data, Buffer.from('\r\n'));
  }
  // Bytes past the last whole line are kept as they are.
  out.push(reply.subarray(parsedBytes));
  return Buffer.concat(out);
}

/** 'identical', or where two replies first differ and the bytes around it. */
function describeDifference(ours: Buffer, theirs: Buffer): string {
  if (ours.equals(theirs)) return 'identical';
  let at = 0;
  while (at < ours.length && at < theirs.length && ours[at] === theirs[at]) at++;
  const around = (b: Buffer): string => show(b.subarray(Math.max(0, at - 40), at + 80), 240);
  return `differ at byte ${at} (ours ${ours.length} bytes, memcached ${theirs.length}): ours "${around(ours)}" memcached "${around(theirs)}"`;
}

function checkSameBytes(t: Test, ours: Step[], theirs: Step[]): void {
  t.same(
    ours.map((s) => s.label),
    theirs.map((s) => s.label),
    'the same steps ran, in the same order',
  );
  for (const [i, reference] of theirs.entries()) {
    const step = ours[i];
    if (step === undefined) continue;
    const difference = describeDifference(withoutCasTokens(step.reply), withoutCasTokens(reference.reply));
    t.equal(difference, 'identical', `${step.label}: the same bytes as with memcached behind the proxy`);
    t.equal(step.closed, reference.closed, `${step.label}: the proxy ${reference.closed ? 'closed' : 'kept'} the connection, as with memcached`);
  }
}

// -------------------------------------------------------------------- tests

t.test('twemproxy in front of three of our servers', needs('nutcracker'), async (t) => {
  const servers = await startOurServers(t);
  const proxy = await startNutcracker(t, servers);

  checkRepliesByValue(t, await runSequence(proxy));
  checkEveryServerHoldsAShare(t, await keysPerServer(servers));
});

t.test('through twemproxy, our servers answer byte for byte as memcached', needs('nutcracker', 'memcached'), async (t) => {
  const ourServers = await startOurServers(t);
  const memcacheds = await startTcpMemcacheds(t);
  const oursProxy = await startNutcracker(t, ourServers);
  const memcachedProxy = await startNutcracker(t, memcacheds);

  const reference = await runSequence(memcachedProxy);
  const ours = await runSequence(oursProxy);
  checkSameBytes(t, ours, reference);

  // Servers are named in the config, so ketama puts each key on the same-named server in both sets.
  t.same(await keysPerServer(ourServers), await keysPerServer(memcacheds), 'each server holds the keys its memcached counterpart holds');
});
