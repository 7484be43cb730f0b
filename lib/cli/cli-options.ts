// memcached's command line, turned into Settings.
//
// Same short and long flags, defaults and error messages/exit codes as
// memcached 1.6.18 (64 = EX_USAGE for semantic errors, 1 for the rest),
// except that we listen on 127.0.0.1 unless -l says otherwise. Short options
// follow getopt (clusters like `-Avv`, attached values like `-I1m` or
// `-p11211`), long ones getopt_long (`--port=1`, `--port 1`); one pass
// (parseArgs) reads both. Nothing here prints or exits: the
// caller (lib/cli/main.ts) does, so the parsing is testable in-process.

import { MAX_HEAP_BYTES } from '../../segments/segment-heap.js';
import { defaultSegmentSize } from '../../segments/store-defaults.js';
import { INITIAL_MALLOC_VARIABLE, parseInitialMalloc } from './initial-malloc.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from './settings.js';
import type { BindingProtocol, Settings } from './settings.js';
import { PRODUCT_VERSION, SERVER_VERSION } from './version.js';
import { usageText } from './usage.js';
import { MAX_MERGE_SEGMENTS, MIN_MERGE_SEGMENTS } from '../../segments/merge-eviction.js';

export type CliResult =
  | { kind: 'run'; settings: Settings; warnings: string[] }
  | { kind: 'exit'; code: number; stdout: string; stderr: string };

const EX_USAGE = 64;

/** Program name in getopt-style messages. */
const PROG = 'grow-a-cache';

interface OptionDef {
  short: string | undefined;
  long: string;
  kind: 'value' | 'flag' | 'count';
}

const OPTIONS: OptionDef[] = [
  { short: 'p', long: 'port', kind: 'value' },
  { short: 'U', long: 'udp-port', kind: 'value' },
  { short: 's', long: 'unix-socket', kind: 'value' },
  { short: 'a', long: 'unix-mask', kind: 'value' },
  { short: 'A', long: 'enable-shutdown', kind: 'flag' },
  { short: 'l', long: 'listen', kind: 'value' },
  { short: 'd', long: 'daemon', kind: 'flag' },
  { short: 'r', long: 'enable-coredumps', kind: 'flag' },
  { short: 'u', long: 'user', kind: 'value' },
  { short: 'm', long: 'memory-limit', kind: 'value' },
  { short: 'M', long: 'disable-evictions', kind: 'flag' },
  { short: 'c', long: 'conn-limit', kind: 'value' },
  { short: 'k', long: 'lock-memory', kind: 'flag' },
  { short: 'v', long: 'verbose', kind: 'count' },
  { short: 'h', long: 'help', kind: 'flag' },
  { short: 'i', long: 'license', kind: 'flag' },
  { short: 'V', long: 'version', kind: 'flag' },
  { short: 'P', long: 'pidfile', kind: 'value' },
  { short: 'f', long: 'slab-growth-factor', kind: 'value' },
  { short: 'n', long: 'slab-min-size', kind: 'value' },
  { short: 'L', long: 'enable-largepages', kind: 'flag' },
  // memcached has no long name for -D; this one is ours.
  { short: 'D', long: 'prefix-delimiter', kind: 'value' },
  { short: 't', long: 'threads', kind: 'value' },
  { short: 'R', long: 'max-reqs-per-event', kind: 'value' },
  { short: 'C', long: 'disable-cas', kind: 'flag' },
  { short: 'b', long: 'listen-backlog', kind: 'value' },
  { short: 'B', long: 'protocol', kind: 'value' },
  { short: 'I', long: 'max-item-size', kind: 'value' },
  { short: 'S', long: 'enable-sasl', kind: 'flag' },
  { short: 'F', long: 'disable-flush-all', kind: 'flag' },
  { short: 'X', long: 'disable-dumping', kind: 'flag' },
  { short: 'W', long: 'disable-watch', kind: 'flag' },
  { short: 'Y', long: 'auth-file', kind: 'value' },
  { short: 'e', long: 'memory-file', kind: 'value' },
  { short: 'Z', long: 'enable-ssl', kind: 'flag' },
  { short: 'o', long: 'extended', kind: 'value' },
  { short: 'N', long: 'napi-ids', kind: 'value' },
  // Ours.
  { short: undefined, long: 'sasl-pwdb', kind: 'value' },
  { short: undefined, long: 'metrics-listen', kind: 'value' },
];

const BY_SHORT = new Map(OPTIONS.filter((o) => o.short !== undefined).map((o) => [o.short as string, o]));
const BY_LONG = new Map(OPTIONS.map((o) => [o.long, o]));

/** A parse failure: message lines for stderr (or stdout) and the exit code. */
class CliExit extends Error {
  constructor(
    readonly code: number,
    readonly stderrText: string,
    readonly stdoutText = '',
  ) {
    super(stderrText);
  }
}

function usageError(message: string): CliExit {
  return new CliExit(EX_USAGE, message + '\n');
}

function fail(message: string): CliExit {
  return new CliExit(1, message + '\n');
}

/**
 * Parse argv (without `node` and the script) and the environment into
 * Settings, or into the text and exit code to stop with (-h, -V, errors).
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliResult {
  try {
    return buildSettings(parseArgs(argv), env);
  } catch (err) {
    if (err instanceof CliExit) return { kind: 'exit', code: err.code, stdout: err.stdoutText, stderr: err.stderrText };
    throw err;
  }
}

// ---- argv -> option values ---------------------------------------------------

/** Every value each option was given, in order; counts for -v. */
type Parsed = Map<string, string[]>;

/**
 * One getopt_long-style pass: short options in clusters with attached or
 * separate values (`-Avv`, `-p11211`, `-p 11211`), long options as
 * `--long`, `--long=value` or `--long value`, non-options anywhere (getopt
 * permutes them; memcached ignores them), `--` ends the options. Errors carry
 * getopt's wording.
 */
function parseArgs(argv: readonly string[]): Parsed {
  const parsed: Parsed = new Map();
  const add = (name: string, value: string): void => {
    const values = parsed.get(name);
    if (values === undefined) parsed.set(name, [value]);
    else values.push(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      for (const rest of argv.slice(i + 1)) add('positional', rest);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const def = BY_LONG.get(name);
      if (def === undefined) throw fail(`${PROG}: unrecognized option '--${name}'\nIllegal argument "?"`);
      if (def.kind !== 'value') {
        if (eq >= 0) throw fail(`${PROG}: option '--${name}' doesn't allow an argument\nIllegal argument "?"`);
        add(def.long, '');
      } else if (eq >= 0) {
        add(def.long, arg.slice(eq + 1));
      } else if (i + 1 < argv.length) {
        add(def.long, argv[++i] as string);
      } else {
        throw fail(`${PROG}: option '--${name}' requires an argument\nIllegal argument "?"`);
      }
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      add('positional', arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const ch = arg[j] as string;
      const def = BY_SHORT.get(ch);
      if (def === undefined) throw fail(`${PROG}: invalid option -- '${ch}'\nIllegal argument "?"`);
      if (def.kind !== 'value') {
        add(def.long, '');
        continue;
      }
      if (j + 1 < arg.length) add(def.long, arg.slice(j + 1));
      else if (i + 1 < argv.length) add(def.long, argv[++i] as string);
      else throw fail(`${PROG}: option requires an argument -- '${ch}'\nIllegal argument "?"`);
      break;
    }
  }
  return parsed;
}

// ---- option values -> Settings ---------------------------------------------

/** C's atoi: optional blanks and sign, leading digits, 0 when none. */
export function atoi(text: string): number {
  const m = /^[ \t\n\r\f\v]*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const n = Number.parseInt(m[1] as string, 10);
  // atoi on 32-bit int: keep to that range instead of wrapping.
  return Math.max(-2147483648, Math.min(2147483647, n));
}

/** -I: bytes, or with a k/m suffix (either case), as memcached. */
export function parseItemSize(text: string): number {
  const unit = text.slice(-1);
  if (unit === 'k' || unit === 'K') return atoi(text.slice(0, -1)) * 1024;
  if (unit === 'm' || unit === 'M') return atoi(text.slice(0, -1)) * 1024 * 1024;
  return atoi(text);
}

function last(parsed: Parsed, long: string): string | undefined {
  const v = parsed.get(long);
  return v === undefined ? undefined : v[v.length - 1];
}

/** memcached's -o suboptions we act on, plus those we accept and ignore. */
const IGNORED_SUBOPTIONS = new Set([
  'no_hashexpand',
  'slab_reassign',
  'slab_automove',
  'slab_automove_ratio',
  'slab_automove_window',
  'tail_repair_time',
  'lru_maintainer',
  'hot_lru_pct',
  'warm_lru_pct',
  'hot_max_factor',
  'warm_max_factor',
  'temporary_ttl',
  'slab_sizes',
  'slab_chunk_max',
  'track_sizes',
  'no_inline_ascii_resp',
  'inline_ascii_resp',
  'modern',
  'no_chunked_items',
  'no_slab_reassign',
  'no_slab_automove',
  'no_lru_maintainer',
  'no_drop_privileges',
  'drop_privileges',
  'relaxed_privileges',
  'sock_cookie_id',
  'ext_path',
  'ext_page_size',
  'ext_wbuf_size',
  'ext_threads',
  'ext_io_depth',
  'ext_item_size',
  'ext_item_age',
  'ext_low_ttl',
  'ext_recache_rate',
  'ext_compact_under',
  'ext_drop_under',
  'ext_max_sleep',
  'ext_max_frag',
  'ext_drop_unread',
  'slab_automove_freeratio',
  'proxy_config',
  'proxy_uring',
]);

const HASH_ALGORITHMS = new Set(['jenkins', 'murmur3', 'xxh3']);

function applySuboptions(text: string, s: Settings, warnings: string[]): void {
  for (const item of text.split(',')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    switch (key) {
      case 'maxconns_fast':
        s.maxConnsFast = true;
        break;
      case 'no_maxconns_fast':
        // We always answer over the limit and close (memcached's fast mode).
        s.maxConnsFast = false;
        warnings.push('-o no_maxconns_fast: over-limit connections are still answered and closed at once');
        break;
      case 'hashpower': {
        if (value === undefined) throw fail('Missing numeric argument for hashpower');
        const n = atoi(value);
        if (n < 12) throw fail(`Initial hashtable multiplier of ${n} is too low`);
        if (n > 32) {
          throw fail(
            `Initial hashtable multiplier of ${n} is too high\nChoose a value based on "STAT hash_power_level" from a running instance`,
          );
        }
        s.hashPowerInit = n;
        break;
      }
      case 'merge_segments': {
        if (value === undefined) throw fail('Missing numeric argument for merge_segments');
        const n = atoi(value);
        if (n < MIN_MERGE_SEGMENTS || n > MAX_MERGE_SEGMENTS) {
          throw fail(`merge_segments must be from ${MIN_MERGE_SEGMENTS} to ${MAX_MERGE_SEGMENTS}`);
        }
        s.mergeSegments = n;
        break;
      }
      case 'advisor':
        s.advisor = true;
        break;
      case 'advisor_rate': {
        const rate = value === undefined ? NaN : Number(value);
        if (!(rate >= 2 ** -24 && rate <= 1)) throw fail('advisor_rate must be a number above 0 and at most 1');
        s.advisor = true;
        s.advisorRate = rate;
        break;
      }
      case 'memory_file':
        if (value === undefined || value === '') throw fail('Missing memory_file argument');
        s.memoryFile = value;
        break;
      case 'warm_restart_sync':
        s.warmRestartSync = true;
        break;
      case 'watcher_logbuf_size':
      case 'worker_logbuf_size': {
        // memcached: kilobytes, an unsigned 32-bit number.
        if (value === undefined) throw fail(`Missing ${key} argument`);
        if (!/^\s*\d+\s*$/.test(value) || Number(value) * 1024 > 0xffffffff) throw fail(`could not parse argument to ${key}`);
        if (key === 'watcher_logbuf_size') s.watcherLogbufSize = Number(value) * 1024;
        else s.workerLogbufSize = Number(value) * 1024;
        break;
      }
      case 'idle_timeout':
        if (value === undefined) throw fail('Missing numeric argument for idle_timeout');
        s.idleTimeout = Math.max(0, atoi(value));
        break;
      case 'hash_algorithm':
        if (value === undefined) throw fail('Missing hash_algorithm argument');
        if (!HASH_ALGORITHMS.has(value)) throw fail('Unknown hash_algorithm option (jenkins, murmur3, xxh3)');
        // Our hash table has its own hash function.
        break;
      case 'ssl_chain_cert':
        if (value === undefined) throw fail('Missing ssl_chain_cert argument');
        s.tlsChainCert = value;
        break;
      case 'ssl_key':
        if (value === undefined) throw fail('Missing ssl_key argument');
        s.tlsKey = value;
        break;
      case 'ssl_ca_cert':
        if (value === undefined) throw fail('Missing ssl_ca_cert argument');
        s.tlsCaCert = value;
        break;
      case 'lru_crawler':
        s.lruCrawler = true;
        break;
      case 'no_lru_crawler':
        s.lruCrawler = false;
        break;
      case 'no_modern':
        // Of memcached's pre-1.5 defaults, the one we have is a crawler that
        // starts disabled (`lru_crawler enable` turns it on); the rest is
        // slab/LRU tuning.
        s.lruCrawler = false;
        warnings.push(`-o ${key}: the LRU crawler starts disabled; the slab/LRU tuning is ignored by the segment store`);
        break;
      case 'lru_crawler_sleep': {
        if (value === undefined) throw fail('Missing lru_crawler_sleep value');
        const n = atoi(value);
        if (n > 1000000 || n < 0) throw fail('LRU crawler sleep must be between 0 and 1 second');
        s.lruCrawlerSleep = n;
        break;
      }
      case 'lru_crawler_tocrawl': {
        if (value === undefined) throw fail('Missing lru_crawler_tocrawl value');
        if (!/^\s*\d+\s*$/.test(value) || Number(value) > 0xffffffff) throw fail('lru_crawler_tocrawl takes a numeric 32bit value');
        s.lruCrawlerTocrawl = Number(value);
        break;
      }
      case 'ssl_ciphers':
        if (value === undefined) throw fail('Missing ssl_ciphers argument');
        s.tlsCiphers = value;
        break;
      case 'ssl_session_cache':
        s.tlsSessionCache = true;
        break;
      case 'ssl_keyformat':
        // OpenSSL's file types: 1 PEM (memcached's default), 2 DER. We read PEM only.
        if (value === undefined) throw fail('Missing ssl_keyformat argument');
        if (!/^\s*[+-]?\d+\s*$/.test(value)) throw fail('could not parse argument to ssl_keyformat');
        if (Number(value) !== 1) throw fail(`ssl_keyformat=${value.trim()} is not supported: keys are read as PEM (1) only`);
        break;
      case 'ssl_wbuf_size':
        if (value === undefined) throw fail('Missing ssl_wbuf_size argument');
        if (!/^\s*\d+\s*$/.test(value)) throw fail('could not parse argument to ssl_wbuf_size');
        warnings.push("-o ssl_wbuf_size: ignored: Node's TLS socket has no such buffer (each batch of replies goes to OpenSSL whole)");
        break;
      case 'ssl_kernel_tls':
        // Refused with -Z (buildSettings), as a memcached whose OpenSSL lacks kTLS does.
        s.tlsKernelTls = true;
        break;
      case 'ssl_min_version': {
        if (value === undefined) throw fail('Missing ssl_min_version argument');
        if (!/^\s*[+-]?\d+\s*$/.test(value)) throw fail('could not parse argument to ssl_min_version');
        const versions = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
        const v = versions[Number(value)];
        if (v === undefined) throw fail('Invalid ssl_min_version. Use help to see valid options.');
        s.tlsMinVersion = v;
        break;
      }
      case 'ssl_verify_mode': {
        if (value === undefined) throw fail('Missing ssl_verify_mode argument');
        const n = atoi(value);
        if (n < 0 || n > 3 || !/^\s*\d+/.test(value)) throw fail('Invalid ssl_verify_mode. Use help to see valid options.');
        s.tlsVerifyMode = n;
        break;
      }
      case 'resp_obj_mem_limit':
        // memcached 1.6.18's own line: the option is dead there too.
        warnings.push('DEPRECATED: resp_obj_mem_limit no longer used. See read_buf_mem_limit,');
        break;
      case 'read_buf_mem_limit':
        // memcached's limit on connection buffers (its SERVER_ERROR out of
        // memory writing, response_obj_oom). Not offered: refused rather than
        // accepted and ignored, since a memory limit that does nothing is a
        // promise broken; 0, memcached's default (unlimited), is what we do.
        if (value === undefined) throw fail('Missing read_buf_mem_limit argument');
        if (!/^\s*\d+\s*$/.test(value)) throw fail('could not parse argument to read_buf_mem_limit');
        if (Number(value) !== 0) {
          throw fail(
            `read_buf_mem_limit=${value.trim()} is not supported: grow-a-cache has no memory limit on connection buffers ` +
              '(only 0, unlimited, memcached\'s default, is accepted)',
          );
        }
        break;
      default:
        if (IGNORED_SUBOPTIONS.has(key)) {
          warnings.push(`-o ${key}: memcached slab/LRU/extstore tuning, ignored by the segment store`);
          break;
        }
        // memcached prints this one on stdout.
        throw new CliExit(1, '', `Illegal suboption "${item}"\n`);
    }
  }
}

function buildSettings(parsed: Parsed, env: NodeJS.ProcessEnv): CliResult {
  if (parsed.has('help')) return { kind: 'exit', code: 0, stdout: usageText(), stderr: '' };
  if (parsed.has('version')) return { kind: 'exit', code: 0, stdout: `memcached ${SERVER_VERSION} (${PRODUCT_VERSION})\n`, stderr: '' };
  if (parsed.has('license')) {
    return { kind: 'exit', code: 0, stdout: 'grow-a-cache is released under the MIT licence.\n', stderr: '' };
  }

  const s: Settings = { ...DEFAULT_SETTINGS, listen: [...DEFAULT_SETTINGS.listen] };
  const warnings: string[] = [];
  const value = (long: string): string | undefined => last(parsed, long);
  const has = (long: string): boolean => parsed.has(long);

  const port = value('port');
  if (port !== undefined) s.port = atoi(port);
  const udp = value('udp-port');
  if (udp !== undefined) s.udpPort = atoi(udp);
  // memcached: -U N without -p puts TCP on N as well.
  if (udp !== undefined && s.udpPort !== 0 && value('port') === undefined) s.port = s.udpPort;
  const unixSocket = value('unix-socket');
  if (unixSocket !== undefined) s.unixSocket = unixSocket;
  const mask = value('unix-mask');
  if (mask !== undefined) {
    const m = /^\s*[0-7]+/.exec(mask);
    s.unixMask = m ? Number.parseInt(m[0].trim(), 8) : 0;
  }
  if (has('enable-shutdown')) s.shutdownEnabled = true;
  const listen = parsed.get('listen');
  if (listen !== undefined) s.listen = listen.flatMap((l) => l.split(',')).filter((l) => l !== '');
  const memory = value('memory-limit');
  if (memory !== undefined) s.maxBytes = atoi(memory) * 1024 * 1024;
  if (has('disable-evictions')) s.evictionPolicy = 'none';
  const conns = value('conn-limit');
  if (conns !== undefined) {
    s.maxConns = atoi(conns);
    if (s.maxConns <= 0) throw fail('Maximum connections must be greater than 0');
  }
  s.verbosity = parsed.get('verbose')?.length ?? 0;
  const threads = value('threads');
  if (threads !== undefined) {
    s.threads = atoi(threads);
    if (s.threads <= 0) throw fail('Number of threads must be greater than 0');
    // Each worker is a V8 isolate with its own heap: many more than cores only costs memory.
    if (s.threads > 64) warnings.push('-t: more than 64 worker threads is not recommended; use at most one per core');
  }
  const reqs = value('max-reqs-per-event');
  if (reqs !== undefined) {
    s.reqsPerEvent = atoi(reqs);
    if (s.reqsPerEvent <= 0) throw fail('Number of requests per event must be greater than 0');
  }
  if (has('disable-cas')) s.casEnabled = false;
  const backlog = value('listen-backlog');
  if (backlog !== undefined) s.backlog = atoi(backlog);
  let protocolGiven = false;
  const protocol = value('protocol');
  if (protocol !== undefined) {
    protocolGiven = true;
    if (protocol !== 'auto' && protocol !== 'binary' && protocol !== 'ascii') {
      throw usageError(`Invalid value for binding protocol: ${protocol}\n -- should be one of auto, binary, or ascii`);
    }
    s.bindingProtocol = protocol as BindingProtocol;
  }
  const itemSize = value('max-item-size');
  if (itemSize !== undefined) s.itemSizeMax = parseItemSize(itemSize);
  if (has('enable-sasl')) s.saslEnabled = true;
  if (has('disable-flush-all')) s.flushEnabled = false;
  const authFile = value('auth-file');
  if (authFile !== undefined) s.authFile = authFile;
  if (has('enable-ssl')) s.tlsEnabled = true;
  const memoryFile = value('memory-file');
  if (memoryFile !== undefined) s.memoryFile = memoryFile;
  for (const o of parsed.get('extended') ?? []) applySuboptions(o, s, warnings);

  const initialMalloc = env[INITIAL_MALLOC_VARIABLE];
  const initialBytes = initialMalloc === undefined ? undefined : parseInitialMalloc(initialMalloc);
  if (initialBytes !== undefined) s.initialMallocBytes = initialBytes;
  const pwdb = value('sasl-pwdb') ?? env['MEMCACHED_SASL_PWDB'];
  if (pwdb !== undefined && pwdb !== '') s.saslPwdb = pwdb;
  const metrics = value('metrics-listen');
  if (metrics !== undefined) s.metricsListen = metrics;

  // Flags with no meaning here: accepted so existing command lines work.
  const growth = value('slab-growth-factor');
  if (growth !== undefined && !(Number.parseFloat(growth) > 1)) throw fail('Factor must be greater than 1');
  const minSize = value('slab-min-size');
  if (minSize !== undefined && atoi(minSize) <= 0) throw fail('Chunk size must be greater than 0');
  const napi = value('napi-ids');
  if (napi !== undefined && atoi(napi) <= 0) throw fail('Maximum number of NAPI IDs must be greater than 0');
  const delimiter = value('prefix-delimiter');
  if (delimiter !== undefined && delimiter === '') throw fail('No delimiter specified');
  if (delimiter !== undefined) {
    // memcached: -D also turns per-prefix stats on.
    s.prefixDelimiter = delimiter[0]!;
    s.detailEnabled = true;
  }
  if (has('disable-dumping')) s.dumpEnabled = false;
  if (has('disable-watch')) s.watchEnabled = false;
  const ignored: Array<[string, string]> = [
    ['daemon', '-d: not daemonizing; running in the foreground (use your service manager)'],
    ['pidfile', '-P: no pidfile is written (only meaningful with -d)'],
    ['enable-coredumps', '-r: ignored'],
    ['lock-memory', '-k: ignored (memory is not locked)'],
    ['enable-largepages', '-L: ignored (no large pages)'],
    ['slab-growth-factor', '-f: ignored (no slab classes in a segment store)'],
    ['slab-min-size', '-n: ignored (no slab classes in a segment store)'],
    ['user', '-u: ignored (the process keeps the identity it was started with)'],
    ['napi-ids', '-N: ignored'],
  ];
  for (const [long, message] of ignored) if (has(long)) warnings.push(message);
  const extra = parsed.get('positional');
  if (extra !== undefined) warnings.push(`ignoring non-option arguments: ${extra.join(' ')}`);

  validate(s, protocolGiven);
  return { kind: 'run', settings: s, warnings };
}

const ITEM_SIZE_MIN = 1024;
const MIB = 1024 * 1024;
const ITEM_SIZE_MAX = 1024 * 1024 * 1024;

/** Cross-option checks, in memcached's order and with its wording. */
function validate(s: Settings, protocolGiven: boolean): void {
  if (s.maxBytes > MAX_HEAP_BYTES) {
    // The hash index holds 40-bit locations in 8-byte units (8 TiB): more could not be addressed.
    const most = Math.floor(MAX_HEAP_BYTES / MIB);
    throw usageError(`ERROR: -m ${s.maxBytes / MIB} is more than this server supports: at most ${most} MiB of item memory`);
  }
  if (s.itemSizeMax < ITEM_SIZE_MIN) throw usageError('Item max size cannot be less than 1024 bytes.');
  if (s.itemSizeMax > s.maxBytes / 2) throw usageError('Cannot set item size limit higher than 1/2 of memory max.');
  if (s.itemSizeMax > ITEM_SIZE_MAX) throw usageError('Cannot set item size limit higher than a gigabyte.');
  if (s.initialMallocBytes !== 0) {
    // The heap gets what the preallocation leaves of -m: at least one segment.
    const segment = defaultSegmentSize(s.maxBytes, s.itemSizeMax);
    const most = s.maxBytes - segment;
    if (s.initialMallocBytes < 0) throw usageError(`ERROR: ${INITIAL_MALLOC_VARIABLE}=${s.initialMallocBytes} is negative: it is a count of bytes`);
    if (s.initialMallocBytes > most) {
      throw usageError(
        `ERROR: ${INITIAL_MALLOC_VARIABLE}=${s.initialMallocBytes} leaves less than one segment (${segment} bytes) of -m ${s.maxBytes / MIB}: ` +
          `at most ${Math.max(0, most)} bytes`,
      );
    }
  }
  if (s.saslEnabled) {
    if (!protocolGiven) s.bindingProtocol = 'binary';
    else if (s.bindingProtocol !== 'binary') throw usageError('ERROR: You cannot allow the ASCII protocol while using SASL.');
    if (s.saslPwdb === undefined) {
      throw usageError('ERROR: -S needs a password file: set MEMCACHED_SASL_PWDB or --sasl-pwdb FILE (lines of user:password)');
    }
  }
  if (s.authFile !== undefined) {
    if (s.saslEnabled) throw usageError('ERROR: -Y (ASCII authentication) and -S (SASL) cannot be used together.');
    if (!protocolGiven) s.bindingProtocol = 'ascii';
    else if (s.bindingProtocol !== 'ascii') {
      throw usageError('ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens.');
    }
  }
  // memcached refuses it when it would bind its listeners (exit 71, EX_OSERR).
  if (!s.tlsEnabled && s.unixSocket === undefined && s.listen.some((l) => l.startsWith('notls:'))) {
    throw new CliExit(71, "'notls' option is valid only when SSL is enabled\n");
  }
  if (s.tlsEnabled) {
    if (s.unixSocket !== undefined) throw usageError('ERROR: You cannot enable SSL without a TCP port.');
    // Node does TLS in user space: no kernel offload to turn on.
    if (s.tlsKernelTls) throw usageError('Kernel TLS offload is not available');
    // memcached fails the same way in ssl_init when it cannot load the chain.
    if (s.tlsChainCert === undefined) {
      throw usageError('Error loading the certificate chain: (null) : -Z needs -o ssl_chain_cert=FILE[,ssl_key=FILE]');
    }
  }
  // -1 is an ephemeral port (as memcached); below that getaddrinfo would refuse it there.
  if (s.port < EPHEMERAL_PORT || s.port > 65535) throw usageError(`ERROR: Invalid port number ${s.port}.`);
  if (s.udpPort < EPHEMERAL_PORT || s.udpPort > 65535) throw usageError(`ERROR: Invalid UDP port number ${s.udpPort}.`);
}
