// Checks, by running it, what shared/design/ecosystem.md §5 says about
// memcache-parser 1.0.1, and shows what our parser does with the same bytes.
// Prints one line per claim: CONFIRMED or NOT CONFIRMED, with the evidence.
// benchmarks/PARSER.md quotes the output.
//
//   npm run bench:parse-claims

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LIMITS } from '../protocol/request.js';
import { replay } from '../protocol/text/replay.js';

const require = createRequire(import.meta.url);

interface Base {
  onData(data: Buffer): void;
  initiatePending(cmdTokens: string[], length: number): void;
  _pending?: { data: Buffer };
}
type Logger = Record<'error' | 'debug' | 'info' | 'warn', (msg: string) => void>;
type BaseClass = new (logger?: Logger) => Base;

const moduleExports = require('memcache-parser') as Record<string, unknown>;
const MemcacheParser = moduleExports.MemcacheParser as BaseClass;

/** A server-side subclass: accepts get/gets and set, records what it saw. */
class Recorder extends MemcacheParser {
  seen: string[] = [];
  logged: string[] = [];
  constructor(logger?: Logger) {
    super(logger);
  }
  processCmd(tokens: string[]): number {
    if (tokens[0] === 'get' || tokens[0] === 'gets') {
      this.seen.push(JSON.stringify(tokens));
      return 1;
    }
    if (tokens[0] === 'set') {
      this.initiatePending(tokens, Number(tokens[4]));
      return 1;
    }
    return 0;
  }
  receiveResult(result: { cmdTokens: string[]; data: Buffer }): void {
    this.seen.push(`set ${result.cmdTokens[1]} = ${JSON.stringify(result.data.toString('latin1'))}`);
  }
}

function recordingLogger(into: string[]): Logger {
  const log = (msg: string) => into.push(msg);
  return { error: log, debug: log, info: log, warn: log };
}

function feed(chunks: string[]): Recorder {
  const logged: string[] = [];
  const r = new Recorder(recordingLogger(logged));
  r.logged = logged;
  for (const c of chunks) r.onData(Buffer.from(c, 'latin1'));
  return r;
}

/** What our parser makes of the same bytes, as a short list. */
function ours(chunks: string[]): string {
  const result = replay(chunks.map((c) => Buffer.from(c, 'latin1')), DEFAULT_LIMITS);
  const shown = result.outcomes.map((o) => {
    if (o.kind === 'ok') {
      const req = o.request;
      if (req.type === 'get') return `get ${req.keys.toStrings().map((k) => JSON.stringify(k)).join(' ')}`;
      return req.type;
    }
    return JSON.stringify(o.reply.toString('latin1'));
  });
  return `[${shown.join(', ')}]${result.leftover > 0 ? ` + ${result.leftover} bytes waiting` : ''}`;
}

function report(n: string, claim: string, confirmed: boolean, evidence: string, ourResult?: string): void {
  console.log(`${n}. ${claim}: ${confirmed ? 'CONFIRMED' : 'NOT CONFIRMED'}`);
  console.log(`   memcache-parser: ${evidence}`);
  if (ourResult !== undefined) console.log(`   ours:            ${ourResult}`);
}

function claimTslib(): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-clean-'));
  try {
    const pkgDir = path.dirname(require.resolve('memcache-parser/package.json'));
    cpSync(pkgDir, path.join(dir, 'node_modules', 'memcache-parser'), { recursive: true });
    let message = 'loaded fine';
    try {
      execFileSync(process.execPath, ['-e', "require('memcache-parser')"], { cwd: dir, stdio: 'pipe', env: { PATH: process.env.PATH ?? '' } });
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
      message = stderr.split('\n').find((l) => l.includes('Cannot find module')) ?? stderr.slice(0, 200);
    }
    const deps = (require('memcache-parser/package.json') as { dependencies?: Record<string, string> }).dependencies;
    report('1', 'require fails in a clean project (tslib not declared)', message.includes("'tslib'") && deps === undefined,
      `dependencies: ${JSON.stringify(deps ?? {})}; require: ${message.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function claimLogging(): void {
  const printed: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void printed.push(args.join(' '));
  try {
    new Recorder().onData(Buffer.from('get a\r\n'));
  } finally {
    console.log = original;
  }
  const silent: string[] = [];
  new Recorder(recordingLogger(silent)).onData(Buffer.from('get a\r\n'));
  report('2', 'default logger prints every command with console.log; a custom logger still gets the built string',
    printed.some((l) => l.includes('got cmd')) && silent.length > 0,
    `console.log got ${JSON.stringify(printed)}; custom logger.debug got ${JSON.stringify(silent)}`);
}

function claimLostCommand(): void {
  const r = feed(['bogus\r\nget a\r\n']);
  report('3', '`bogus\\r\\nget a\\r\\n` in one read loses `get a`', r.seen.length === 0,
    `commands seen: ${JSON.stringify(r.seen)}`, ours(['bogus\r\nget a\r\n']));
}

function claimStuckAfterBadChunk(): void {
  const input = ['set k 0 0 2\r\nhelloX\r\n', 'get a\r\n', 'get b\r\n'];
  const r = feed(input);
  const malformed = r.logged.filter((l) => l.includes('malformed')).length;
  report('4', 'after `set k 0 0 2\\r\\nhelloX\\r\\n` every later command is "malformed data stream"',
    r.seen.length === 0 && malformed >= 3,
    `commands seen: ${JSON.stringify(r.seen)}; ${malformed} "malformed" errors for 3 reads`, ours(input));
}

function claimLongLine(): void {
  const input = [`get ${'a'.repeat(1500)}`, `${'a'.repeat(1000)}\r\nget b\r\n`, 'get c\r\n'];
  const r = feed(input);
  report('5', 'a line over ~2000 bytes without CRLF is dropped ("resetting") and a stale offset then misses the next CRLF',
    r.logged.some((l) => l.includes('resetting')) && !r.seen.some((s) => s.includes('"b"')),
    `commands seen: ${JSON.stringify(r.seen)}; warnings: ${JSON.stringify(r.logged.filter((l) => l.includes('resetting')))}`,
    ours(input).replace(/"a{20,}"/, '"a…(2500 bytes)"'));
}

function claimEmptyToken(): void {
  const r = feed(['get  a\r\n']);
  report('6', '`get  a` gives tokens [get, "", a]', r.seen[0] === JSON.stringify(['get', '', 'a']),
    `tokens: ${r.seen[0] ?? 'none'}`, ours(['get  a\r\n']));
}

function claimReadmeAndLimits(): void {
  const exportsShape = `typeof require('memcache-parser') = ${typeof moduleExports}, keys ${JSON.stringify(Object.keys(moduleExports))}`;
  // README: processCmd "return false" for unknown commands; the code tests `=== 0`.
  class ReadmeStyle extends MemcacheParser {
    unknown = 0;
    processCmd(): unknown {
      return false;
    }
    unknownCmd(): void {
      this.unknown++;
    }
  }
  const readme = new ReadmeStyle(recordingLogger([]));
  readme.onData(Buffer.from('bogus\r\n'));
  // No size limit: the declared length is allocated before any data arrives.
  const big = new Recorder(recordingLogger([]));
  big.onData(Buffer.from('set k 0 0 67108864\r\n'));
  const allocated = big._pending?.data.length ?? 0;
  let crash = 'no exception';
  try {
    new Recorder(recordingLogger([])).onData(Buffer.from('set k 0 0 9999999999\r\n'));
  } catch (err) {
    crash = `${(err as Error).name}: ${(err as Error).message.split('\n')[0]}`;
  }
  report('7', 'README/code mismatch (default export, "return false"), no size limit in initiatePending',
    typeof moduleExports === 'object' && readme.unknown === 0 && allocated === 67108864,
    `${exportsShape}; README-style "return false" counted as unknown ${readme.unknown} times; ` +
      `"set k 0 0 67108864" allocated ${allocated} bytes up front; "set k 0 0 9999999999" -> ${crash} (thrown out of onData)`,
    `${ours(['set k 0 0 67108864\r\n'])}; ${ours(['set k 0 0 9999999999\r\n'])}`);
}

claimTslib();
claimLogging();
claimLostCommand();
claimStuckAfterBadChunk();
claimLongLine();
claimEmptyToken();
claimReadmeAndLimits();
console.log('8. throughput: see `npm run bench:parse`');
