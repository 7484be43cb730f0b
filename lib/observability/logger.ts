// Logging shaped like memcached's -v / -vv / -vvv output.
//
// Quiet by default. Level 1 (-v) prints errors and warnings, level 2 (-vv)
// prints each command and reply the way memcached does (`<17 get foo`,
// `>17 END`), level 3 adds internal detail. The formatters here never print
// a value, a SASL payload or a password: only command names, keys, numbers.
// The server calls `log.line(level, text)` only after checking `log.level`,
// so a quiet server pays one comparison per request.

import type { CommandLog } from '../server/context.js';
import type { Request } from '../../protocol/request.js';
import type { KeyList } from '../../protocol/key-list.js';

/** Where finished lines go; one call per line, without the newline. */
export type LogSink = (line: string) => void;

export const LOG_ERRORS = 1;
export const LOG_COMMANDS = 2;
export const LOG_DETAIL = 3;

/** Longest key text we print; longer keys are cut so one line stays bounded. */
const MAX_KEY_CHARS = 250;
/** Longest reply line we print (a VALUE line with a 250-byte key fits). */
const MAX_REPLY_CHARS = 300;
/** Longest line we ever emit (a multi-get of many keys is truncated). */
const MAX_LINE_CHARS = 2048;

/** Each line in one write, so lines from different threads never interleave. */
export const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

/** A CommandLog writing to `sink` (stderr by default) at verbosity `level`. */
export function createCommandLog(level: number, sink: LogSink = stderrSink): CommandLog {
  return {
    level,
    line(minLevel: number, text: string): void {
      if (this.level >= minLevel) sink(truncate(text));
    },
  };
}

/**
 * A CommandLog whose level lives in `cell[index]` of shared memory, so a
 * `verbosity` command on any thread changes it for all (-t N).
 */
export function createSharedCommandLog(cell: Int32Array, index: number, sink: LogSink): CommandLog {
  return {
    get level(): number {
      return cell[index] as number;
    },
    set level(value: number) {
      cell[index] = value;
    },
    line(minLevel: number, text: string): void {
      if ((cell[index] as number) >= minLevel) sink(truncate(text));
    },
  };
}

/** -v: an error line (memcached prints these unprefixed at level 1). */
export function logError(log: CommandLog, text: string): void {
  log.line(LOG_ERRORS, text);
}

/** -v: a warning line, prefixed so operators can grep for it. */
export function logWarning(log: CommandLog, text: string): void {
  log.line(LOG_ERRORS, 'WARNING: ' + text);
}

/** `<17 new auto-negotiating client connection` as memcached -vv prints on accept. */
export function formatNewConnection(sessionId: number): string {
  return `<${sessionId} new auto-negotiating client connection`;
}

/** `<17 connection closed.` as memcached -vv prints on close. */
export function formatConnectionClosed(sessionId: number): string {
  return `<${sessionId} connection closed.`;
}

/**
 * The -vv line for an incoming request: `<fd ` + the command as a client
 * would type it, minus the data block. Values, SASL data and auth payloads
 * are never included.
 */
export function formatCommandLine(sessionId: number, req: Request): string {
  return `<${sessionId} ${summarizeRequest(req)}`;
}

/**
 * The -vv line for a reply: `>fd ` + the reply's first line (e.g. `END`,
 * `STORED`). A bare number is an incr/decr result, i.e. the item's value,
 * which memcached would print; we print a placeholder instead.
 */
export function formatReplyLine(sessionId: number, replySummary: string): string {
  const text = /^\d+$/.test(replySummary) ? '[number]' : printable(replySummary, MAX_REPLY_CHARS, true);
  return `>${sessionId} ${text}`;
}

/** Stack frames a fault line keeps: enough to find the bug, one line long. */
const FAULT_FRAMES = 3;

/**
 * The line for a request whose parser or responder threw: connection,
 * command name and protocol, the error's class and where it was thrown.
 * Never the error message (it may quote a key or value), keys or values.
 * `req` is null when the parser threw.
 */
export function formatRequestFault(sessionId: number, req: Request | null, err: unknown): string {
  const what = req === null ? 'parsing a request' : `${requestName(req)} (${req.protocol})`;
  const kind = err instanceof Error ? err.name : typeof err;
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  const frames = stack
    .split('\n')
    .filter((l) => l.startsWith('    at '))
    .slice(0, FAULT_FRAMES)
    .map((l) => l.slice(7));
  const where = frames.length > 0 ? ` at ${frames.join(' <- ')}` : '';
  return `ERROR: <${sessionId} request fault in ${what}: ${kind}${where}; connection closed`;
}

/** The command word of a request (get, gats, set, incr, mg, ...). */
export function requestName(req: Request): string {
  switch (req.type) {
    case 'get':
      return req.touchExptime !== undefined ? (req.withCas ? 'gats' : 'gat') : req.withCas ? 'gets' : 'get';
    case 'store':
      return req.mode;
    case 'arith':
      return req.incr ? 'incr' : 'decr';
    default:
      return req.type;
  }
}

/** A one-line, value-free description of a request. */
export function summarizeRequest(req: Request): string {
  switch (req.type) {
    case 'get': {
      const name = requestName(req);
      const head = req.touchExptime !== undefined ? `${name} ${req.touchExptime}` : name;
      return binaryTag(req.protocol, `${head} ${keysText(req.keys)}`);
    }
    case 'store': {
      const cas = req.mode === 'cas' ? ` ${req.cas}` : '';
      return binaryTag(
        req.protocol,
        `${req.mode} ${keyText(req.key)} ${req.flags} ${req.exptime} ${req.value.length}${cas}${quietText(req.quiet)}`,
      );
    }
    case 'arith':
      return binaryTag(req.protocol, `${req.incr ? 'incr' : 'decr'} ${keyText(req.key)} ${req.delta}${quietText(req.quiet)}`);
    case 'touch':
      return binaryTag(req.protocol, `touch ${keyText(req.key)} ${req.exptime}${quietText(req.quiet)}`);
    case 'delete':
      return binaryTag(req.protocol, `delete ${keyText(req.key)}${quietText(req.quiet)}`);
    case 'flush_all':
      return binaryTag(req.protocol, req.delay ? `flush_all ${req.delay}` : 'flush_all');
    case 'stats':
      return binaryTag(req.protocol, req.group ? `stats ${req.group}${req.args ? ' ' + req.args : ''}` : 'stats');
    case 'verbosity':
    case 'cache_memlimit':
      return binaryTag(req.protocol, `${req.type} ${req.arg}`);
    case 'version':
    case 'quit':
    case 'noop':
    case 'shutdown':
    case 'mn':
    case 'sasl_list':
      return binaryTag(req.protocol, req.type);
    case 'lru_crawler':
    case 'watch':
    case 'refresh_certs':
    case 'slabs':
      return printable([req.type, ...req.args].join(' '), MAX_REPLY_CHARS, true);
    case 'sasl_auth':
    case 'sasl_step':
      // The mechanism is public; the data carries the password and is never logged.
      return binaryTag(req.protocol, `${req.type} ${printable(req.mechanism, 32)}`);
    case 'mg':
    case 'ms':
    case 'md':
    case 'ma':
    case 'me': {
      const key = req.base64Key ? req.key.toString('base64') : keyText(req.key);
      const size = req.type === 'ms' ? ` ${req.value.length}` : '';
      return `${req.type} ${key}${size}${metaFlagsText(req.flags)}`;
    }
  }
}

function binaryTag(protocol: Request['protocol'], text: string): string {
  return protocol === 'binary' ? `(binary) ${text}` : text;
}

function quietText(quiet: boolean): string {
  return quiet ? ' noreply' : '';
}

function metaFlagsText(flags: Map<string, string | true>): string {
  let out = '';
  for (const [flag, token] of flags) out += token === true ? ` ${flag}` : ` ${flag}${printable(token, 64)}`;
  return out;
}

/** Keys are printed as text with control and non-ASCII bytes escaped, so a log line stays one line. */
/** The keys of a get, stopping once the line is long enough to be cut anyway. */
function keysText(keys: KeyList): string {
  const parts: string[] = [];
  let chars = 0;
  for (const key of keys) {
    if (chars > MAX_LINE_CHARS) break;
    const text = keyText(key);
    parts.push(text);
    chars += text.length + 1;
  }
  return parts.join(' ');
}

function keyText(key: Buffer): string {
  return printable(key.toString('latin1'), MAX_KEY_CHARS);
}

/** Escape bytes outside printable ASCII (and spaces, unless `keepSpaces`) so a log entry stays one unambiguous line. */
function printable(text: string, max: number, keepSpaces = false): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(keepSpaces ? /[^\x20-\x7e]/g : /[^\x21-\x7e]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
  return text.length > max ? escaped + '...' : escaped;
}

function truncate(text: string): string {
  return text.length > MAX_LINE_CHARS ? text.slice(0, MAX_LINE_CHARS) + '...' : text;
}
