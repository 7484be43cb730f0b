// Executes binary-protocol requests against the store and writes memcached
// 1.6.18's binary replies (status, opaque, CAS and body byte for byte).
//
// Rules that shape every branch (proto_bin.c):
// - quiet opcodes (SetQ, DeleteQ, IncrementQ, FlushQ, QuitQ, GetQ...) say
//   nothing on success, GetQ/GetKQ/GATQ/GATKQ nothing on a miss; errors are
//   always sent;
// - a nonzero CAS in the header makes any write conditional;
// - with SASL on, a connection that has not authenticated may only list
//   mechanisms, authenticate or ask the version; anything else gets
//   "Auth failure." and the connection is closed after the reply.
// Length and opcode errors never get here: the parser answers those.

import { WATCH, watchBus } from '../observability/watch-bus.js';
import { publishGet, publishLookup, publishStore } from './watch-command.js';
import type { Responder, ServerContext, Session } from '../server/context.js';
import type {
  ArithmeticRequest,
  DeleteRequest,
  FlushRequest,
  GetRequest,
  Request,
  SaslRequest,
  StatsRequest,
  StoreRequest,
  TouchRequest,
} from '../../protocol/request.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { StoreStatus } from '../../segments/types.js';
import {
  writeBodyReply,
  writeCounter,
  writeEmptySuccess,
  writeError,
  writeGetHitHead,
  writeMissWithKey,
  writeStat,
} from '../../protocol/binary/encode.js';
import { ARITH_NO_CREATE, MAX_SASL_MECH_BYTES } from '../../protocol/binary/opcodes.js';
import {
  AUTHENTICATED_TEXT,
  STATUS_AUTH_CONTINUE,
  STATUS_AUTH_ERROR,
  STATUS_DELTA_BADVAL,
  STATUS_E2BIG,
  STATUS_EINVAL,
  STATUS_ENOMEM,
  STATUS_KEY_EEXISTS,
  STATUS_KEY_ENOENT,
  STATUS_NOT_STORED,
  STATUS_SUCCESS,
  STATUS_UNKNOWN_COMMAND,
  type ErrorStatus,
} from '../../protocol/binary/status.js';

const EMPTY = Buffer.alloc(0);

/**
 * Connections that started PLAIN without an initial response and owe us the
 * credentials in a SASL step. Weak, so a closed connection leaves nothing.
 */
const awaitingSaslStep = new WeakSet<Session>();

/** The connection being answered (watch lines name it as `cfd`). */
let cfd = 0;

export const respondBinary: Responder = (req, ctx, session, out) => {
  cfd = session.id;
  // Fail closed: -S without a usable verifier still refuses everything.
  const saslOn = ctx.sasl !== undefined || ctx.settings.saslEnabled;
  if (saslOn && !session.authenticated && !allowedBeforeAuth(req)) {
    writeError(out, req.binaryOpcode, req.opaque, STATUS_AUTH_ERROR);
    session.closeAfterWrite();
    return;
  }
  switch (req.type) {
    case 'get':
      return respondGet(req, ctx, out);
    case 'touch':
      return respondTouch(req, ctx, out);
    case 'store':
      return respondStore(req, ctx, out);
    case 'arith':
      return respondArith(req, ctx, out);
    case 'delete':
      return respondDelete(req, ctx, out);
    case 'flush_all':
      return respondFlush(req, ctx, out);
    case 'stats':
      return respondStats(req, ctx, out);
    case 'noop':
      writeEmptySuccess(out, req.binaryOpcode, req.opaque);
      return;
    case 'version':
      writeBodyReply(out, req.binaryOpcode, STATUS_SUCCESS, req.opaque, Buffer.from(ctx.version, 'latin1'));
      return;
    case 'quit':
      if (!req.quiet) writeEmptySuccess(out, req.binaryOpcode, req.opaque);
      session.closeAfterWrite();
      return;
    case 'sasl_list':
      if (ctx.sasl === undefined) {
        return writeError(out, req.binaryOpcode, req.opaque, saslOn ? STATUS_AUTH_ERROR : STATUS_UNKNOWN_COMMAND);
      }
      writeBodyReply(out, req.binaryOpcode, STATUS_SUCCESS, req.opaque, Buffer.from(ctx.sasl.mechanisms, 'latin1'));
      return;
    case 'sasl_auth':
    case 'sasl_step':
      return respondSasl(req, ctx, session, out);
    default:
      // Text/meta-only requests have no binary opcode.
      writeError(out, req.binaryOpcode, req.opaque, STATUS_UNKNOWN_COMMAND);
  }
};

function allowedBeforeAuth(req: Request): boolean {
  return req.type === 'sasl_list' || req.type === 'sasl_auth' || req.type === 'sasl_step' || req.type === 'version';
}

/** Get under a store read bracket: the refs it reads stay valid while other threads run. */
function respondGet(req: GetRequest, ctx: ServerContext, out: ReplyWriter): void {
  // A plain get shares the store with other readers; GAT writes.
  if (req.touchExptime !== undefined) {
    ctx.store.beginWrite();
    try {
      respondGetBracketed(req, ctx, out);
    } finally {
      ctx.store.endWrite();
    }
    return;
  }
  ctx.store.beginRead();
  try {
    respondGetBracketed(req, ctx, out);
  } finally {
    ctx.store.endRead();
  }
}

function respondGetBracketed(req: GetRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store, counters } = ctx;
  // A binary get always has exactly one key (the parser refuses one without).
  const key = req.keys.first() ?? EMPTY;
  let ref: number;
  // memcached's binary GAT counts as a touch command, Get as a get.
  if (req.touchExptime !== undefined) {
    counters.cmdTouch++;
    ref = store.getAndTouch(key, req.touchExptime);
  } else {
    counters.cmdGet++;
    ref = store.get(key);
  }
  // As memcached's binary get/GAT: stats detail counts it, watch logs the lookup.
  if (ctx.settings.detailEnabled) ctx.prefixStats.recordGet(key, ref >= 0);
  if (watchBus.flags & WATCH.FETCHERS) publishGet(key, ref >= 0 ? 1 : 0, ref >= 0 ? store.itemValueLength(ref) : 0, cfd);
  if (ref < 0) {
    if (req.quiet) return;
    if (req.withKey) writeMissWithKey(out, req.binaryOpcode, req.opaque, key);
    else writeError(out, req.binaryOpcode, req.opaque, STATUS_KEY_ENOENT);
    return;
  }
  const length = store.itemValueLength(ref);
  writeGetHitHead(out, req.binaryOpcode, req.opaque, store.itemCas(ref), store.itemFlags(ref), req.withKey ? key : undefined, length);
  const off = out.reserve(length);
  store.copyValue(ref, out.chunk, off);
  out.advance(length);
}

/** Touch under a store read bracket: the refs it reads stay valid while other threads run. */
function respondTouch(req: TouchRequest, ctx: ServerContext, out: ReplyWriter): void {
  ctx.store.beginWrite();
  try {
    respondTouchBracketed(req, ctx, out);
  } finally {
    ctx.store.endWrite();
  }
}

function respondTouchBracketed(req: TouchRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store } = ctx;
  ctx.counters.cmdTouch++;
  // A binary Touch hit answers with the item's flags and CAS (no value).
  const ref = store.touch(req.key, req.exptime) === 'touched' ? store.peek(req.key) : -1;
  if (ctx.settings.detailEnabled) ctx.prefixStats.recordGet(req.key, ref >= 0);
  if (watchBus.flags & WATCH.FETCHERS) publishGet(req.key, ref >= 0 ? 1 : 0, ref >= 0 ? store.itemValueLength(ref) : 0, cfd);
  if (ref < 0) return writeError(out, req.binaryOpcode, req.opaque, STATUS_KEY_ENOENT);
  writeGetHitHead(out, req.binaryOpcode, req.opaque, store.itemCas(ref), store.itemFlags(ref), undefined, 0);
}

function respondStore(req: StoreRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store } = ctx;
  ctx.counters.cmdSet++;
  const appending = req.mode === 'append' || req.mode === 'prepend';
  // With -C memcached cannot attach the header's CAS to the new item, so
  // writes are unconditional; otherwise Set/Add/Replace with a CAS become a
  // compare-and-swap and append/prepend compare first.
  const cas = ctx.settings.casEnabled ? req.cas : 0;
  const mode = cas !== 0 && !appending ? 'cas' : req.mode;
  if (ctx.settings.detailEnabled) ctx.prefixStats.recordSet(req.key);
  // memcached's store looks the key up first, and that lookup is logged too.
  if (watchBus.flags & WATCH.FETCHERS) {
    const old = store.peek(req.key);
    publishGet(req.key, old >= 0 ? 1 : 0, old >= 0 ? store.itemValueLength(old) : 0, cfd);
  }
  const status = store.store(mode, req.key, req.value, req.flags, req.exptime, cas);
  if (watchBus.flags & WATCH.MUTATIONS) publishStore(mode, req.key, status, req.exptime, req.value.length, cfd, ctx.nowSeconds());
  if (status === 'stored') {
    if (!req.quiet) writeEmptySuccess(out, req.binaryOpcode, req.opaque, store.lastCas);
    return;
  }
  if ((status === 'too_large' || status === 'out_of_memory') && req.mode === 'set') {
    // memcached drops the old value when a set cannot be stored, so a later
    // get cannot return data the client believes it replaced.
    store.delete(req.key, 0);
  }
  writeError(out, req.binaryOpcode, req.opaque, storeErrorStatus(status, req.mode, appending));
}

/** memcached's binary status for a store that did not succeed (complete_update_bin). */
function storeErrorStatus(status: Exclude<StoreStatus, 'stored'>, mode: StoreRequest['mode'], appending: boolean): ErrorStatus {
  switch (status) {
    case 'exists':
      return STATUS_KEY_EEXISTS;
    case 'not_found':
      return appending ? STATUS_NOT_STORED : STATUS_KEY_ENOENT;
    case 'not_stored':
      if (mode === 'add') return STATUS_KEY_EEXISTS;
      if (mode === 'replace') return STATUS_KEY_ENOENT;
      return STATUS_NOT_STORED;
    case 'too_large':
      // A value over the limit fails before storing (E2BIG); an append that
      // grows an item past it fails while storing (NOT_STORED).
      return appending ? STATUS_NOT_STORED : STATUS_E2BIG;
    case 'out_of_memory':
      return appending ? STATUS_NOT_STORED : STATUS_ENOMEM;
  }
}

/** Arith under a store read bracket: the refs it reads stay valid while other threads run. */
function respondArith(req: ArithmeticRequest, ctx: ServerContext, out: ReplyWriter): void {
  ctx.store.beginWrite();
  try {
    respondArithBracketed(req, ctx, out);
  } finally {
    ctx.store.endWrite();
  }
}

function respondArithBracketed(req: ArithmeticRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store } = ctx;
  const exptime = req.exptime ?? 0;
  const initial = exptime === ARITH_NO_CREATE ? undefined : req.initial;
  const status = store.arith(req.key, req.incr, req.delta, initial, exptime, req.cas);
  switch (status) {
    case 'ok': {
      if (req.quiet) return;
      // The reply carries the CAS of the item as it is now.
      const ref = store.peek(req.key);
      writeCounter(out, req.binaryOpcode, req.opaque, ref < 0 ? 0 : store.itemCas(ref), store.lastArithValue);
      return;
    }
    case 'not_found':
      return writeError(out, req.binaryOpcode, req.opaque, STATUS_KEY_ENOENT);
    case 'non_numeric':
      return writeError(out, req.binaryOpcode, req.opaque, STATUS_DELTA_BADVAL);
    case 'exists':
      return writeError(out, req.binaryOpcode, req.opaque, STATUS_KEY_EEXISTS);
    case 'out_of_memory':
      return writeError(out, req.binaryOpcode, req.opaque, STATUS_ENOMEM);
  }
}

function respondDelete(req: DeleteRequest, ctx: ServerContext, out: ReplyWriter): void {
  if (ctx.settings.detailEnabled) ctx.prefixStats.recordDelete(req.key);
  if (watchBus.flags & WATCH.FETCHERS) publishLookup(ctx.store, req.key, cfd);
  const status = ctx.store.delete(req.key, req.cas);
  if (status === 'deleted') {
    if (!req.quiet) writeEmptySuccess(out, req.binaryOpcode, req.opaque);
    return;
  }
  writeError(out, req.binaryOpcode, req.opaque, status === 'exists' ? STATUS_KEY_EEXISTS : STATUS_KEY_ENOENT);
}

function respondFlush(req: FlushRequest, ctx: ServerContext, out: ReplyWriter): void {
  // memcached answers a flush refused by -F with the auth-error status.
  if (!ctx.flushAll(req.delay)) return writeError(out, req.binaryOpcode, req.opaque, STATUS_AUTH_ERROR);
  if (!req.quiet) writeEmptySuccess(out, req.binaryOpcode, req.opaque);
}

function respondStats(req: StatsRequest, ctx: ServerContext, out: ReplyWriter): void {
  const lines = ctx.stats(req.group, req.args);
  if (lines === null) return writeError(out, req.binaryOpcode, req.opaque, STATUS_KEY_ENOENT);
  if (typeof lines === 'string') {
    // A one-line answer (`detail on` -> OK): success; a usage error is "Not found", as memcached's binary stats.
    if (lines.startsWith('CLIENT_ERROR')) return writeError(out, req.binaryOpcode, req.opaque, STATUS_KEY_ENOENT);
    // `detail dump`: memcached sends the whole text dump as one stat named "detailed".
    if (req.group === 'detail' && lines.endsWith('END')) writeStat(out, req.binaryOpcode, req.opaque, 'detailed', lines + '\r\n');
    return writeEmptySuccess(out, req.binaryOpcode, req.opaque);
  }
  for (const [name, value] of lines) writeStat(out, req.binaryOpcode, req.opaque, name, value);
  writeEmptySuccess(out, req.binaryOpcode, req.opaque);
}

function respondSasl(req: SaslRequest, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  const sasl = ctx.sasl;
  if (sasl === undefined) {
    if (!ctx.settings.saslEnabled) return writeError(out, req.binaryOpcode, req.opaque, STATUS_UNKNOWN_COMMAND);
    // -S but no password file: nobody can authenticate.
    ctx.counters.authCmds++;
    ctx.counters.authErrors++;
    return writeError(out, req.binaryOpcode, req.opaque, STATUS_AUTH_ERROR);
  }
  if (req.mechanism.length > MAX_SASL_MECH_BYTES) return writeError(out, req.binaryOpcode, req.opaque, STATUS_EINVAL);

  let credentials: Buffer | undefined;
  if (req.type === 'sasl_auth') {
    awaitingSaslStep.delete(session);
    if (req.mechanism.toUpperCase() === 'PLAIN') {
      if (req.data.length === 0) {
        // PLAIN without an initial response: ask for it (empty challenge).
        awaitingSaslStep.add(session);
        writeBodyReply(out, req.binaryOpcode, STATUS_AUTH_CONTINUE, req.opaque, EMPTY);
        return;
      }
      credentials = req.data;
    }
  } else if (awaitingSaslStep.delete(session)) {
    credentials = req.data;
  }

  ctx.counters.authCmds++;
  if (credentials !== undefined && sasl.verifyPlain(credentials) !== undefined) {
    session.authenticated = true;
    writeBodyReply(out, req.binaryOpcode, STATUS_SUCCESS, req.opaque, AUTHENTICATED_TEXT);
    return;
  }
  ctx.counters.authErrors++;
  if (ctx.log.level >= 1) ctx.log.line(1, `${session.id}: SASL authentication failed`);
  writeError(out, req.binaryOpcode, req.opaque, STATUS_AUTH_ERROR);
}
