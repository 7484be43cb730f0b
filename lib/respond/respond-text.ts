// Executes text-protocol requests (get, set, incr, stats, ...) against the
// store and writes memcached 1.6.18's exact replies.
//
// Parsing errors never reach here: the parser answers them. With `noreply`
// (req.quiet) memcached suppresses every reply of the command, errors
// included, and so do we. Meta requests that arrive here are handed to the
// meta responder, so the connection may send any ASCII request to either.

import type { Responder, ServerContext, Session } from '../server/context.js';
import type {
  ArithmeticRequest,
  DeleteRequest,
  FlushRequest,
  GetRequest,
  SimpleRequest,
  StatsRequest,
  StoreRequest,
  TouchRequest,
} from '../../protocol/request.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { StoreStatus } from '../../segments/types.js';
import { REPLY, REPLY_PREFIX } from '../../protocol/text/replies.js';
import { SHUTDOWN_MODE } from '../../protocol/text/admin.js';
import { respondMeta } from './respond-meta.js';
import { writeBigDecimal, writeGetHit, writeValueItem } from './item-output.js';
import { respondCachedump } from './cachedump.js';
import { respondLruCrawler } from './lru-crawler.js';
import { respondSlabs } from './slabs-command.js';
import { publishGet, publishLookup, publishStore, respondWatch } from './watch-command.js';
import { WATCH, watchBus } from '../observability/watch-bus.js';

const GET_REPLY_TOO_LARGE = Buffer.from('SERVER_ERROR out of memory writing get response\r\n', 'latin1');

/** memcached caps `verbosity N` at this level. */
const MAX_VERBOSITY = 2;
/** cache_memlimit bounds (megabytes), as memcached checks them. */
const MEMLIMIT_MIN_MB = 8;
const MEMLIMIT_MAX_MB = 1_000_000_000;
const MIB = 1024 * 1024;


export const respondText: Responder = (req, ctx, session, out) => {
  switch (req.type) {
    case 'get':
      return respondGet(req, ctx, session, out);
    case 'store':
      return respondStore(req, ctx, session, out);
    case 'arith':
      return respondArith(req, ctx, out);
    case 'touch':
      return respondTouch(req, ctx, out);
    case 'delete':
      return respondDelete(req, ctx, session, out);
    case 'flush_all':
      return respondFlush(req, ctx, out);
    case 'stats':
      if (req.group === 'cachedump') return respondCachedump(req.args, ctx, session, out);
      return respondStats(req, ctx, out);
    case 'mg':
    case 'ms':
    case 'md':
    case 'ma':
    case 'me':
      return respondMeta(req, ctx, session, out);
    case 'lru_crawler':
      return respondLruCrawler(req, ctx, session, out);
    case 'watch':
      return respondWatch(req, ctx, session, out);
    case 'slabs':
      return respondSlabs(req, out);
    case 'refresh_certs': {
      const error = ctx.refreshCerts();
      // memcached writes the error even under noreply.
      if (error !== null) out.writeAscii(error);
      else if (!req.quiet) out.writeBuffer(REPLY.OK);
      return;
    }
    case 'sasl_auth':
    case 'sasl_step':
      // Binary-only commands; no text spelling reaches here from our parser.
      out.writeBuffer(REPLY.ERROR);
      return;
    default:
      return respondSimple(req, ctx, session, out);
  }
};

/**
 * Largest reply one get may build. memcached hands out references to items;
 * we copy values into the reply, so a multi-get naming the same large item
 * thousands of times would otherwise hold gigabytes. Over this, the whole
 * get is answered with memcached's own out-of-memory line instead.
 */
export const MAX_GET_REPLY_BYTES = 32 * 1024 * 1024;
/** Per-hit overhead of `VALUE <key> <flags> <bytes> <cas>\r\n...\r\n` beyond key and value. */
const VALUE_LINE_OVERHEAD = 6 + 1 + 10 + 1 + 10 + 1 + 20 + 2 + 2;

/** Would this get's reply exceed the cap? Checked without counting hits, only when it could. */
function getReplyTooLarge(req: GetRequest, ctx: ServerContext): boolean {
  const keys = req.keys;
  if (keys.length * (ctx.settings.itemSizeMax + 250 + VALUE_LINE_OVERHEAD) <= MAX_GET_REPLY_BYTES) return false;
  let total = 0;
  const store = ctx.store;
  for (const key of keys) {
    store.beginRead();
    try {
      const ref = store.peek(key);
      if (ref >= 0) total += store.itemValueLength(ref) + key.length + VALUE_LINE_OVERHEAD;
    } finally {
      store.endRead();
    }
    if (total > MAX_GET_REPLY_BYTES) return true;
  }
  return false;
}

/** A get's watch status (watch-command.ts GET_STATUS): found, or why not, from the counters its lookup moved. */
function getStatus(hit: boolean, store: ServerContext['store'], flushedBefore: number, expiredBefore: number): 0 | 1 | 2 | 3 {
  if (hit) return 1;
  if (store.counters.getFlushed !== flushedBefore) return 2;
  return store.counters.getExpired !== expiredBefore ? 3 : 0;
}

function respondGet(req: GetRequest, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  const { store, counters } = ctx;
  const touching = req.touchExptime !== undefined;
  // A resumed get was sized when it began; part of its reply is already sent.
  if (req.resumed !== true && getReplyTooLarge(req, ctx)) {
    out.writeBuffer(GET_REPLY_TOO_LARGE);
    return;
  }
  const keys = req.keys;
  const source = keys.source;
  const watching = (watchBus.flags & WATCH.FETCHERS) !== 0;
  const detail = ctx.settings.detailEnabled;
  for (let s = keys.firstStart(); s < keys.end; ) {
    const e = keys.keyEnd(s);
    const key = source.subarray(s, e);
    s = keys.nextStart(e);
    let hit: boolean;
    const expiredBefore = watching ? store.counters.getExpired : 0;
    const flushedBefore = watching ? store.counters.getFlushed : 0;
    if (!touching) {
      // A plain get: lookup and copy in read attempts (item-output.ts writeGetHit).
      counters.cmdGet++;
      const length = writeGetHit(out, store, key, req.withCas);
      hit = length >= 0;
      if (detail) ctx.prefixStats.recordGet(key, hit);
      if (watching) publishGet(key, getStatus(hit, store, flushedBefore, expiredBefore), hit ? length : 0, session.id);
    } else {
      // gat/gats write: lookup, touch and copy in one exclusive bracket.
      counters.cmdTouch++;
      store.beginWrite();
      try {
        const ref = store.getAndTouch(key, req.touchExptime as number);
        hit = ref >= 0;
        if (detail) ctx.prefixStats.recordGet(key, hit);
        if (watching) publishGet(key, getStatus(hit, store, flushedBefore, expiredBefore), hit ? store.itemValueLength(ref) : 0, session.id);
        if (hit) writeValueItem(out, store, key, ref, req.withCas);
      } finally {
        store.endWrite();
      }
    }
    if (!hit) continue;
    // The bound on unsent replies holds inside one get: past it, send what
    // is written, and if the client is not reading, stop and go on from the
    // next key once it does.
    if (out.length > session.replyRoom && !session.makeRoom() && s < keys.end) {
      session.resumeAfterDrain({ ...req, keys: keys.rest(s), resumed: true });
      return;
    }
  }
  out.writeBuffer(REPLY.END);
}

function respondStore(req: StoreRequest, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  const { store } = ctx;
  ctx.counters.cmdSet++;
  if (ctx.settings.detailEnabled) ctx.prefixStats.recordSet(req.key);
  // memcached's store looks the key up first, and that lookup is logged too.
  if (watchBus.flags & WATCH.FETCHERS) {
    const old = store.peek(req.key);
    publishGet(req.key, old >= 0 ? 1 : 0, old >= 0 ? store.itemValueLength(old) : 0, session.id);
  }
  const status = store.store(req.mode, req.key, req.value, req.flags, req.exptime, req.cas);
  if (watchBus.flags & WATCH.MUTATIONS) publishStore(req.mode, req.key, status, req.exptime, req.value.length, session.id, ctx.nowSeconds());
  if ((status === 'too_large' || status === 'out_of_memory') && req.mode === 'set') {
    // memcached drops the old value when a set fails, so a later get cannot
    // return data the client believes it replaced.
    store.delete(req.key, 0);
  }
  if (req.quiet) return;
  out.writeBuffer(storeReply(status, req.mode === 'append' || req.mode === 'prepend'));
}

/** Text reply for a store outcome. append/prepend past the item limit answer NOT_STORED as memcached. */
export function storeReply(status: StoreStatus, appending: boolean): Buffer {
  switch (status) {
    case 'stored':
      return REPLY.STORED;
    case 'not_stored':
      return REPLY.NOT_STORED;
    case 'exists':
      return REPLY.EXISTS;
    case 'not_found':
      return appending ? REPLY.NOT_STORED : REPLY.NOT_FOUND;
    case 'too_large':
      return appending ? REPLY.NOT_STORED : REPLY.SERVER_ERROR_TOO_LARGE;
    case 'out_of_memory':
      return REPLY.SERVER_ERROR_OUT_OF_MEMORY;
  }
}

function respondArith(req: ArithmeticRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store } = ctx;
  // Text incr/decr never creates a missing key (unlike binary).
  const status = store.arith(req.key, req.incr, req.delta, undefined, 0, 0);
  if (req.quiet) return;
  switch (status) {
    case 'ok':
      writeBigDecimal(out, store.lastArithValue);
      out.writeCRLF();
      return;
    case 'not_found':
      out.writeBuffer(REPLY.NOT_FOUND);
      return;
    case 'non_numeric':
      out.writeBuffer(REPLY.CLIENT_ERROR_NON_NUMERIC);
      return;
    case 'exists':
      out.writeBuffer(REPLY.EXISTS);
      return;
    case 'out_of_memory':
      out.writeBuffer(REPLY.SERVER_ERROR_OUT_OF_MEMORY_ARITH);
      return;
  }
}

function respondTouch(req: TouchRequest, ctx: ServerContext, out: ReplyWriter): void {
  ctx.counters.cmdTouch++;
  const status = ctx.store.touch(req.key, req.exptime);
  if (req.quiet) return;
  out.writeBuffer(status === 'touched' ? REPLY.TOUCHED : REPLY.NOT_FOUND);
}

function respondDelete(req: DeleteRequest, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  if (ctx.settings.detailEnabled) ctx.prefixStats.recordDelete(req.key);
  // memcached looks the key up first, and that lookup is logged.
  if (watchBus.flags & WATCH.FETCHERS) publishLookup(ctx.store, req.key, session.id);
  const status = ctx.store.delete(req.key, req.cas);
  if (req.quiet) return;
  out.writeBuffer(status === 'deleted' ? REPLY.DELETED : status === 'exists' ? REPLY.EXISTS : REPLY.NOT_FOUND);
}

function respondFlush(req: FlushRequest, ctx: ServerContext, out: ReplyWriter): void {
  const allowed = ctx.flushAll(req.delay);
  if (req.quiet) return;
  out.writeBuffer(allowed ? REPLY.OK : REPLY.CLIENT_ERROR_FLUSH_NOT_ALLOWED);
}

function respondStats(req: StatsRequest, ctx: ServerContext, out: ReplyWriter): void {
  const lines = ctx.stats(req.group, req.args);
  if (lines === null) {
    out.writeBuffer(REPLY.ERROR);
    return;
  }
  if (typeof lines === 'string') {
    out.writeAscii(lines);
    out.writeCRLF();
    return;
  }
  if (req.group === 'reset') {
    out.writeBuffer(REPLY.RESET);
    return;
  }
  for (const [name, value] of lines) {
    out.writeBuffer(REPLY_PREFIX.STAT);
    out.writeAscii(name);
    out.writeAscii(' ');
    out.writeAscii(value);
    out.writeCRLF();
  }
  out.writeBuffer(REPLY.END);
}

function respondSimple(req: SimpleRequest, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  switch (req.type) {
    case 'version':
      out.writeBuffer(REPLY_PREFIX.VERSION);
      out.writeAscii(ctx.version);
      out.writeCRLF();
      return;
    case 'quit':
      session.closeAfterWrite();
      return;
    case 'verbosity':
      ctx.log.level = Math.min(req.arg, MAX_VERBOSITY);
      ctx.settings.verbosity = ctx.log.level;
      if (!req.quiet) out.writeBuffer(REPLY.OK);
      return;
    case 'cache_memlimit':
      return respondMemlimit(req, ctx, out);
    case 'shutdown':
      if (!ctx.settings.shutdownEnabled) {
        out.writeBuffer(REPLY.ERROR_SHUTDOWN_NOT_ENABLED);
        return;
      }
      if (req.arg === SHUTDOWN_MODE.INVALID) {
        out.writeBuffer(REPLY.CLIENT_ERROR_INVALID_SHUTDOWN_MODE);
        return;
      }
      // memcached closes the asking connection without a reply and exits.
      session.closeAfterWrite();
      ctx.shutdown(req.arg === SHUTDOWN_MODE.GRACEFUL);
      return;
    case 'mn':
      out.writeBuffer(REPLY.META_MN);
      return;
    case 'noop':
    case 'sasl_list':
      // Binary-only; a text client never produces these.
      out.writeBuffer(REPLY.ERROR);
      return;
  }
}

/**
 * cache_memlimit: memcached's checks and replies; an in-range limit
 * resizes the store's heap (every thread's: the limit lives in shared
 * memory) and becomes limit_maxbytes. noreply still applies it.
 */
function respondMemlimit(req: SimpleRequest, ctx: ServerContext, out: ReplyWriter): void {
  let reply: Buffer;
  if (req.arg < MEMLIMIT_MIN_MB) {
    reply = REPLY.MEMLIMIT_TOO_SMALL;
  } else if (req.arg > MEMLIMIT_MAX_MB) {
    reply = REPLY.MEMLIMIT_NOT_BYTES;
  } else if (ctx.store.setMemoryLimit(req.arg * MIB)) {
    ctx.settings.maxBytes = req.arg * MIB;
    ctx.log.line(1, `maxbytes adjusted to ${req.arg}m`);
    reply = REPLY.OK;
  } else {
    reply = REPLY.MEMLIMIT_ADJUST_FAILED;
  }
  if (!req.quiet) out.writeBuffer(reply);
}
