// One request shape for the text, meta and binary protocols.
//
// Every parser in protocol/ turns bytes into a `Request`; the glue in lib/
// executes it against the store once, whatever protocol it came from, and a
// per-protocol encoder turns the outcome into reply bytes. Nothing here knows
// about sockets, logging or the store.
//
// Buffers in a request (key, keys, value) may be views into the connection's
// read buffer: they are valid only until the connection reads again, so the
// executor must consume (copy into the store or into a reply) before that.

import { memcachedItemBytes } from '../segments/item-limit.js';
import type { KeyList } from './key-list.js';

/** Which wire protocol a request came from; decides how replies are encoded. */
export type Protocol = 'text' | 'meta' | 'binary';

/** Storage modes shared by set/add/replace/append/prepend/cas and meta `ms M<mode>`. */
export type StoreMode = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';

/**
 * Fields every request carries. `quiet` is text `noreply`, meta `q`, or a
 * binary quiet opcode (GetQ, SetQ, ...). `opaque` is the binary header's
 * opaque (echoed), 0 elsewhere. `binaryOpcode` is the original opcode so the
 * binary encoder echoes it exactly (0 for text and meta).
 */
interface RequestBase {
  protocol: Protocol;
  quiet: boolean;
  opaque: number;
  binaryOpcode: number;
}

/** get, gets, gat, gats (text); Get/GetQ/GetK/GetKQ/GAT/GATQ/GATK/GATKQ (binary: one key). */
export interface GetRequest extends RequestBase {
  type: 'get';
  /** The keys as a range of the line (protocol/key-list.ts): no Buffer per key until used. */
  keys: KeyList;
  /** gets/gats: return CAS; binary always returns CAS in the header. */
  withCas: boolean;
  /** gat/gats/binary GAT: new exptime to apply on hit, else undefined. */
  touchExptime: number | undefined;
  /** binary GetK/GetKQ/GATK/GATKQ: echo the key in the reply. */
  withKey: boolean;
  /** Set by the server on the rest of a get whose reply waited for the client to read. */
  resumed?: boolean;
}

/** set, add, replace, append, prepend, cas; binary Set/Add/Replace/Append/Prepend (+Q). */
export interface StoreRequest extends RequestBase {
  type: 'store';
  mode: StoreMode;
  key: Buffer;
  value: Buffer;
  flags: number;
  /** Raw memcached exptime: 0 never, <0 expired, <=30 days relative, else unix time. */
  exptime: number;
  /** CAS to compare (text `cas`, binary header cas); 0 = none. */
  cas: number;
}

/** incr, decr; binary Increment/Decrement (+Q). Deltas are unsigned 64-bit. */
export interface ArithmeticRequest extends RequestBase {
  type: 'arith';
  incr: boolean;
  key: Buffer;
  delta: bigint;
  /** Binary only: create with `initial` when missing, unless exptime is 0xffffffff. */
  initial: bigint;
  /** Binary only; undefined for text (text never creates). */
  exptime: number | undefined;
  cas: number;
}

/** touch; binary Touch. */
export interface TouchRequest extends RequestBase {
  type: 'touch';
  key: Buffer;
  exptime: number;
}

/** delete; binary Delete(Q). */
export interface DeleteRequest extends RequestBase {
  type: 'delete';
  key: Buffer;
  cas: number;
}

/** flush_all [delay]; binary Flush(Q) with optional 4-byte expiration extra. */
export interface FlushRequest extends RequestBase {
  type: 'flush_all';
  delay: number;
}

/** stats [group]; binary Stat with optional key. `group` is '' for plain stats. */
export interface StatsRequest extends RequestBase {
  type: 'stats';
  group: string;
  /** Rest of the line after the group (e.g. `stats detail on`), '' if none. */
  args: string;
}

/** Requests with no arguments or trivial ones. */
export interface SimpleRequest extends RequestBase {
  type: 'version' | 'quit' | 'noop' | 'shutdown' | 'verbosity' | 'cache_memlimit' | 'mn' | 'sasl_list';
  /** verbosity level, cache_memlimit megabytes, shutdown `graceful` = 1; else 0. */
  arg: number;
}

/**
 * Rare admin commands whose arguments are words: `lru_crawler <sub> [arg]`,
 * `watch [types...]`, `refresh_certs`, `slabs <sub> ...`. `args` are the words after the
 * command (memcached checks them against server state, so the server does).
 */
export interface AdminRequest extends RequestBase {
  type: 'lru_crawler' | 'watch' | 'refresh_certs' | 'slabs';
  args: string[];
}

/** Binary SASL auth (0x21) and step (0x22): mechanism in key, data in value. */
export interface SaslRequest extends RequestBase {
  type: 'sasl_auth' | 'sasl_step';
  mechanism: string;
  data: Buffer;
}

/**
 * Meta flags as parsed from `mg/ms/md/ma` tokens. A flag without a token is
 * `true`; one with a token keeps the token text (e.g. `T30` -> '30').
 * Keys are single flag characters. Unknown flags are rejected by the parser
 * with `CLIENT_ERROR invalid flag`.
 */
export type MetaFlags = Map<string, string | true>;

/** Meta commands mg, ms, md, ma, me. */
export interface MetaRequest extends RequestBase {
  type: 'mg' | 'ms' | 'md' | 'ma' | 'me';
  /** Key bytes, already base64-decoded when the `b` flag is present. */
  key: Buffer;
  /** The `b` flag was given: keys in replies must be base64 again. */
  base64Key: boolean;
  flags: MetaFlags;
  /** Only for ms: the data block. */
  value: Buffer;
}

export type Request =
  | GetRequest
  | StoreRequest
  | ArithmeticRequest
  | TouchRequest
  | DeleteRequest
  | FlushRequest
  | StatsRequest
  | SimpleRequest
  | AdminRequest
  | SaslRequest
  | MetaRequest;

/**
 * What a parser returns. `consumed` counts bytes the connection must drop
 * from its read buffer. On 'error' the connection writes `reply` (already
 * exact wire bytes, e.g. `CLIENT_ERROR bad data chunk\r\n`) and carries on,
 * unless `close` says memcached would close the connection.
 * 'swallow' asks the connection to discard `remaining` further bytes after
 * `consumed` (a value too large for the item limit), then write `reply`.
 * `unlinkKey` is set when memcached also unlinks the key's old value: a text
 * `set`, any meta `ms` or a binary Set/SetQ refused as too large (a view
 * into the read buffer, valid until the connection reads again).
 * `tooLarge`: a text or meta value over the item limit, which memcached
 * counts in `store_too_large` (its binary protocol does not).
 */
export type ParseResult =
  | { kind: 'incomplete' }
  | { kind: 'ok'; request: Request; consumed: number }
  | { kind: 'error'; reply: Buffer; consumed: number; close: boolean }
  | { kind: 'swallow'; reply: Buffer; consumed: number; remaining: number; unlinkKey: Buffer | undefined; tooLarge?: boolean };

/** Limits every parser enforces. */
export interface ParserLimits {
  /** Largest value accepted (memcached `-I`); larger ones are swallowed. */
  maxValueBytes: number;
  /** Longest key, 250 as memcached. */
  maxKeyBytes: number;
  /**
   * memcached's `-I` as it applies it: to the whole item (header, key,
   * flags, value, CRLF, CAS; segments/item-limit.ts), so a value a few
   * dozen bytes under `-I` is refused too. Unset: only maxValueBytes.
   */
  itemSizeMax?: number;
  /** Whether CAS counts in the item's size (memcached without -C); default true. */
  casEnabled?: boolean;
}

export const DEFAULT_LIMITS: ParserLimits = { maxValueBytes: 1024 * 1024, maxKeyBytes: 250, itemSizeMax: 1024 * 1024, casEnabled: true };

/** Whether a value of `valueLength` bytes under this key length and client flags is refused as too large. */
export function valueTooLarge(limits: ParserLimits, keyLength: number, flags: number, valueLength: number): boolean {
  if (valueLength > limits.maxValueBytes) return true;
  return limits.itemSizeMax !== undefined && memcachedItemBytes(keyLength, flags, valueLength, limits.casEnabled ?? true) > limits.itemSizeMax;
}
