// Executes meta-protocol requests (mg, ms, md, ma, me; mn is answered by the
// text responder) against the store, with memcached 1.6.18's replies:
//
//   mg: VA <len> <flags>* / HD <flags>* / EN     ms: HD NS EX NF
//   md: HD NF EX                                  ma: VA/HD NF NS EX
//   me: ME <key> exp= la= cas= fetch= cls= size= / EN
//
// Return flags come out in request order and flags with side effects (T, N)
// act in that order too, so `mg k t T30` shows the old TTL and `mg k T30 t`
// the new one, as in memcached. Quiet mode (q) hides only the nominal reply
// of each command as 1.6.18 does: EN for mg (a hit still answers), HD for ms
// and md, the success reply for ma.

import type { ServerContext, Session } from '../server/context.js';
import type { MetaFlags, MetaRequest } from '../../protocol/request.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { CacheStore, ItemRef } from '../../segments/types.js';
import { ITEM_FETCHED, ITEM_STALE, ITEM_WIN_SENT } from '../../segments/types.js';
import { REPLY, REPLY_PREFIX } from '../../protocol/text/replies.js';
import { casNumber, parseMetaNumbers } from '../../protocol/meta/tokens.js';
import type { MetaNumbers } from '../../protocol/meta/tokens.js';
import { writeBigDecimal, writeUnsigned, writeValueBlock } from './item-output.js';
import { WATCH, watchBus } from '../observability/watch-bus.js';
import { publishGet, publishLookup, publishStore } from './watch-command.js';
import { memcachedItemSize, slabClassFor } from '../../segments/slab-classes.js';

/** Opaque tokens (the `O` included) longer than this are refused, as memcached. */
const MAX_OPAQUE_TOKEN = 32;
/** Relative exptimes end here; larger values are unix times (memcached's 30 days). */
const MAX_RELATIVE_EXPTIME = 60 * 60 * 24 * 30;

const EMPTY = Buffer.alloc(0);

const ERR_BAD_TOKEN = REPLY.CLIENT_ERROR_BAD_TOKEN;
const ERR_BAD_FORMAT = REPLY.CLIENT_ERROR_BAD_FORMAT;
const ERR_BAD_INITIAL = REPLY.CLIENT_ERROR_INVALID_INITIAL;
const ERR_BAD_DELTA = REPLY.CLIENT_ERROR_INVALID_DELTA_VALUE;
const ERR_INVALID_OR_DUP = REPLY.CLIENT_ERROR_INVALID_OR_DUPLICATE_FLAG;
const ERR_OPAQUE_TOO_LONG = REPLY.CLIENT_ERROR_OPAQUE_TOO_LONG;
const ERR_M_LENGTH = REPLY.CLIENT_ERROR_M_TOKEN_LENGTH;
const ERR_MS_MODE = REPLY.CLIENT_ERROR_INVALID_MS_MODE;
const ERR_MA_MODE = REPLY.CLIENT_ERROR_INVALID_MA_MODE;
const ERR_NON_NUMERIC = REPLY.CLIENT_ERROR_NON_NUMERIC;
const ERR_MA_OOM = REPLY.SERVER_ERROR_OUT_OF_MEMORY_ARITH;

/** The connection being answered (watch lines name it as `cfd`). */
let cfd = 0;

/**
 * A meta request runs inside one store write bracket: its several store
 * calls (peek, get, store, touch...) and the refs between them are not
 * interleaved with other threads' writes.
 */
export function respondMeta(req: MetaRequest, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  cfd = session.id;
  ctx.store.beginWrite();
  try {
    respondMetaBracketed(req, ctx, out);
  } finally {
    ctx.store.endWrite();
  }
}

function respondMetaBracketed(req: MetaRequest, ctx: ServerContext, out: ReplyWriter): void {
  switch (req.type) {
    case 'mg':
      return metaGet(req, ctx, out);
    case 'ms':
      return metaSet(req, ctx, out);
    case 'md':
      return metaDelete(req, ctx, out);
    case 'ma':
      return metaArithmetic(req, ctx, out);
    case 'me':
      return metaDebug(req, ctx, out);
  }
}

/** mg/ms wording for a bad numeric token (md and ma use one generic line). */
function badTokenReply(flag: string): Buffer {
  switch (flag) {
    case 'F':
      return ERR_BAD_FORMAT;
    case 'J':
      return ERR_BAD_INITIAL;
    case 'D':
      return ERR_BAD_DELTA;
    default:
      return ERR_BAD_TOKEN;
  }
}

/** Checks every command runs before acting: opaque length and M token shape. */
function flagShapeError(flags: MetaFlags, generic: boolean): Buffer | undefined {
  const o = flags.get('O');
  if (o !== undefined && o !== true && o.length + 1 > MAX_OPAQUE_TOKEN) return ERR_OPAQUE_TOO_LONG;
  const m = flags.get('M');
  if (m !== undefined && (m === true || m.length !== 1)) return generic ? ERR_INVALID_OR_DUP : ERR_M_LENGTH;
  return undefined;
}

/**
 * The prologue of mg, ms, md and ma: flag shape, then every numeric token.
 * Writes the refusal and returns undefined when a check fails. mg and ms
 * name the bad token in their reply; md and ma (`generic`) use one line.
 */
function validateMetaFlags(flags: MetaFlags, generic: boolean, out: ReplyWriter): MetaNumbers | undefined {
  const shape = flagShapeError(flags, generic);
  if (shape) {
    out.writeBuffer(shape);
    return undefined;
  }
  const nums = parseMetaNumbers(flags);
  if (nums.bad === undefined) return nums;
  out.writeBuffer(generic ? ERR_INVALID_OR_DUP : badTokenReply(nums.bad));
  return undefined;
}

// ---- output pieces ---------------------------------------------------------

function writeFlagChar(out: ReplyWriter, ch: string): void {
  out.writeAscii(' ');
  out.writeAscii(ch);
}

function writeOpaque(out: ReplyWriter, token: string | true): void {
  out.writeAscii(' O');
  if (token !== true) out.writeAscii(token);
}

/** ` k<key>`, base64 again (followed by ` b`) when the request used `b`. */
function writeKeyFlag(out: ReplyWriter, req: MetaRequest): void {
  out.writeAscii(' k');
  if (req.base64Key) {
    out.writeAscii(req.key.toString('base64'));
    out.writeAscii(' b');
  } else {
    out.writeBuffer(req.key);
  }
}

/** O and k echo the request in every reply; other flags are the caller's. */
function writeEchoFlag(out: ReplyWriter, req: MetaRequest, flag: string, token: string | true): void {
  if (flag === 'O') writeOpaque(out, token);
  else if (flag === 'k') writeKeyFlag(out, req);
}

/** Echo O and k in request order (replies that carry no item data). */
function writeEchoFlags(out: ReplyWriter, req: MetaRequest): void {
  for (const [flag, token] of req.flags) writeEchoFlag(out, req, flag, token);
}

function writeStatus(out: ReplyWriter, code: string, req: MetaRequest): void {
  out.writeAscii(code);
  writeEchoFlags(out, req);
  out.writeCRLF();
}

/** Start of an mg/ma hit: `VA <length>` when the value follows, else `HD`. */
function writeHitCode(out: ReplyWriter, withValue: boolean, length: number): void {
  if (withValue) {
    out.writeBuffer(REPLY_PREFIX.META_VA);
    out.writeDecimal(length);
  } else {
    out.writeAscii('HD');
  }
}

/** TTL remaining as mg/ma `t` prints it: -1 for never. */
function writeTtl(out: ReplyWriter, store: CacheStore, ref: ItemRef): void {
  const ttl = store.itemTtlRemaining(ref);
  out.writeAscii(' t');
  if (ttl < 0) out.writeAscii('-1');
  else out.writeDecimal(ttl);
}

/** Raw exptime that gives an item `remaining` seconds again (-1 = never). */
function exptimeForRemaining(ctx: ServerContext, remaining: number): number {
  if (remaining < 0) return 0;
  const secs = Math.max(1, remaining);
  return secs <= MAX_RELATIVE_EXPTIME ? secs : ctx.nowSeconds() + secs;
}

/** Copy an item's value out of the store (the ref dies at the next mutation). */
function copyValue(store: CacheStore, ref: ItemRef): Buffer {
  const length = store.itemValueLength(ref);
  if (length === 0) return EMPTY;
  const value = Buffer.allocUnsafe(length);
  store.copyValue(ref, value, 0);
  return value;
}

function setBits(store: CacheStore, ref: ItemRef, set: number, clear: number): void {
  const bits = store.itemBits(ref);
  const next = (bits | set) & ~clear;
  if (next !== bits) store.setItemBits(ref, next);
}

/**
 * The item's ref after a touch: where it lives now, or, when the new TTL
 * expired it (T-1), the old ref, whose bytes stay readable until the next
 * mutation (as getAndTouch's); memcached answers from the item it holds.
 */
function refAfterTouch(store: CacheStore, key: Buffer, old: ItemRef): ItemRef {
  const moved = store.peek(key);
  return moved >= 0 ? moved : old;
}

// ---- mg ----------------------------------------------------------------------

/** What mg's h and l report: the item as it was before this request touched it (set by metaGetLookup). */
const before = { fetched: false, lastAccess: 0 };

function noteBefore(store: CacheStore, ref: ItemRef): void {
  before.fetched = (store.itemBits(ref) & ITEM_FETCHED) !== 0;
  before.lastAccess = Math.max(0, store.itemLastAccess(ref));
}

/**
 * Find mg's item: a peek under `u` (no bump), else a counted get. `before`
 * gets its state ahead of this request's access when h or l asks for it.
 */
function metaGetLookup(store: CacheStore, req: MetaRequest, noBump: boolean): ItemRef {
  before.fetched = false;
  before.lastAccess = 0;
  if (noBump) {
    const ref = store.peek(req.key);
    if (ref >= 0) noteBefore(store, ref);
    return ref;
  }
  if (req.flags.has('h') || req.flags.has('l')) {
    const old = store.peek(req.key);
    if (old >= 0) noteBefore(store, old);
  }
  return store.get(req.key);
}

function metaGet(req: MetaRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store, counters } = ctx;
  const flags = req.flags;
  const nums = validateMetaFlags(flags, false, out);
  if (nums === undefined) return;

  const noBump = flags.has('u');
  const touching = flags.has('T');
  if (touching) counters.cmdTouch++;
  else counters.cmdGet++;

  let ref = metaGetLookup(store, req, noBump);
  // memcached logs mg's lookup as any get (stats detail counts text and binary only).
  if (watchBus.flags & WATCH.FETCHERS) publishGet(req.key, ref >= 0 ? 1 : 0, ref >= 0 ? store.itemValueLength(ref) : 0, cfd);

  let created = false;
  if (ref < 0 && nums.vivifyTtl !== undefined) {
    // Vivify on miss: an empty stub whose creator wins the right to recache.
    if (store.store('add', req.key, EMPTY, 0, nums.vivifyTtl, 0) === 'stored') {
      ref = store.peek(req.key);
      created = ref >= 0;
    }
  }

  if (ref < 0) {
    if (req.quiet) return;
    writeStatus(out, 'EN', req);
    return;
  }

  const withValue = flags.has('v');
  // The header's size and the value must agree, so read the length once here;
  // T/N below only change the TTL.
  const length = store.itemValueLength(ref);
  writeHitCode(out, withValue, length);

  let won = false;
  let ttlApplied = false;
  for (const [flag, token] of flags) {
    switch (flag) {
      case 'T':
        store.touch(req.key, nums.ttl as number);
        ref = refAfterTouch(store, req.key, ref);
        ttlApplied = true;
        break;
      case 'N':
        if (created) {
          // Only matters when a T came first: N then sets the TTL, as memcached.
          if (ttlApplied) {
            store.touch(req.key, nums.vivifyTtl as number);
            ref = refAfterTouch(store, req.key, ref);
          }
          won = true;
        }
        break;
      case 'R': {
        const ttl = store.itemTtlRemaining(ref);
        if (!created && (store.itemBits(ref) & ITEM_WIN_SENT) === 0 && ttl >= 0 && ttl < recacheSeconds(ctx, nums.recacheTtl as number)) {
          won = true;
        }
        break;
      }
      case 's':
        out.writeAscii(' s');
        out.writeDecimal(length);
        break;
      case 't':
        writeTtl(out, store, ref);
        break;
      case 'c':
        out.writeAscii(' c');
        writeUnsigned(out, store.itemCas(ref));
        break;
      case 'f':
        out.writeAscii(' f');
        writeUnsigned(out, store.itemFlags(ref));
        break;
      case 'l':
        out.writeAscii(' l');
        out.writeDecimal(before.lastAccess);
        break;
      case 'h':
        out.writeAscii(before.fetched ? ' h1' : ' h0');
        break;
      default:
        writeEchoFlag(out, req, flag, token);
    }
  }

  const bits = store.itemBits(ref);
  if (bits & ITEM_WIN_SENT) writeFlagChar(out, 'Z');
  if (bits & ITEM_STALE) {
    writeFlagChar(out, 'X');
    // A stale item hands the win to the first client that sees it.
    if ((bits & ITEM_WIN_SENT) === 0) won = true;
  }
  let setMask = noBump ? 0 : ITEM_FETCHED;
  if (won) {
    writeFlagChar(out, 'W');
    setMask |= ITEM_WIN_SENT;
  }
  out.writeCRLF();
  if (withValue) writeValueBlock(out, store, ref, length);
  if (setMask !== 0) setBits(store, ref, setMask, 0);
}

/** R's token as seconds remaining: relative up to 30 days, else a unix time. */
function recacheSeconds(ctx: ServerContext, token: number): number {
  if (token <= MAX_RELATIVE_EXPTIME) return token;
  return token - ctx.nowSeconds();
}

// ---- ms ----------------------------------------------------------------------

function metaSet(req: MetaRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store } = ctx;
  const flags = req.flags;
  const nums = validateMetaFlags(flags, false, out);
  if (nums === undefined) return;

  const modeToken = flags.get('M');
  const modeChar = typeof modeToken === 'string' ? modeToken : 'S';
  let mode: 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';
  switch (modeChar) {
    case 'S':
      mode = 'set';
      break;
    case 'E':
      mode = 'add';
      break;
    case 'R':
      mode = 'replace';
      break;
    case 'A':
      mode = 'append';
      break;
    case 'P':
      mode = 'prepend';
      break;
    default:
      return out.writeBuffer(ERR_MS_MODE);
  }

  ctx.counters.cmdSet++;
  const exptime = nums.ttl ?? 0;
  let cas = nums.cas === undefined ? 0 : casNumber(nums.cas);
  // A CAS turns set and replace into cas; add ignores it; append/prepend compare.
  if (nums.cas !== undefined && (mode === 'set' || mode === 'replace')) mode = 'cas';
  if (mode === 'add') cas = 0;

  // memcached's store looks the key up first, and that lookup is logged too.
  if (watchBus.flags & WATCH.FETCHERS) {
    const old = store.peek(req.key);
    publishGet(req.key, old >= 0 ? 1 : 0, old >= 0 ? store.itemValueLength(old) : 0, cfd);
  }
  let status;
  let storedCas = 0;
  const stale = mode === 'cas' && flags.has('I') ? staleCasCandidate(store, req.key, nums) : -1;
  if (stale >= 0) {
    // I + a CAS older than the item's: store, keep the TTL, mark stale.
    const keepBits = store.itemBits(stale) & ITEM_WIN_SENT;
    const keepExptime = exptimeForRemaining(ctx, store.itemTtlRemaining(stale));
    status = store.store('set', req.key, req.value, nums.clientFlags, keepExptime, 0);
    if (status === 'stored') {
      storedCas = store.lastCas;
      const ref = store.peek(req.key);
      if (ref >= 0) setBits(store, ref, ITEM_STALE | keepBits, 0);
    }
  } else {
    status = store.store(mode, req.key, req.value, nums.clientFlags, exptime, cas);
    if (status === 'stored') storedCas = store.lastCas;
  }
  if (watchBus.flags & WATCH.MUTATIONS) publishStore(mode, req.key, status, exptime, req.value.length, cfd, ctx.nowSeconds());

  let code: string;
  switch (status) {
    case 'stored':
      if (req.quiet) return;
      code = 'HD';
      break;
    case 'not_stored':
      code = 'NS';
      break;
    case 'exists':
      code = 'EX';
      break;
    case 'not_found':
      code = mode === 'append' || mode === 'prepend' ? 'NS' : 'NF';
      break;
    case 'too_large':
      if (mode === 'append' || mode === 'prepend') {
        code = 'NS';
        break;
      }
      if (mode === 'set') store.delete(req.key, 0);
      return out.writeBuffer(REPLY.SERVER_ERROR_TOO_LARGE);
    case 'out_of_memory':
      if (mode === 'set') store.delete(req.key, 0);
      return out.writeBuffer(REPLY.SERVER_ERROR_OUT_OF_MEMORY);
  }
  out.writeAscii(code);
  for (const [flag, token] of flags) {
    if (flag === 'c') {
      out.writeAscii(' c');
      writeUnsigned(out, storedCas);
    } else {
      writeEchoFlag(out, req, flag, token);
    }
  }
  out.writeCRLF();
}

/** The live item when `ms ... I C<cas>` names a CAS older than the item's, else -1. */
function staleCasCandidate(store: CacheStore, key: Buffer, nums: MetaNumbers): ItemRef {
  const ref = store.peek(key);
  if (ref < 0 || nums.cas === undefined) return -1;
  const current = store.itemCas(ref);
  return nums.cas !== 0n && nums.cas < BigInt(current) ? ref : -1;
}

// ---- md ----------------------------------------------------------------------

function metaDelete(req: MetaRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store } = ctx;
  const flags = req.flags;
  const nums = validateMetaFlags(flags, true, out);
  if (nums === undefined) return;
  const cas = nums.cas === undefined ? 0 : casNumber(nums.cas);
  // memcached looks the key up first, and that lookup is logged.
  if (watchBus.flags & WATCH.FETCHERS) publishLookup(store, req.key, cfd);

  if (!flags.has('I')) {
    const status = store.delete(req.key, nums.cas === undefined ? 0 : Math.max(cas, 1));
    if (status === 'deleted') {
      if (!req.quiet) writeStatus(out, 'HD', req);
    } else {
      writeStatus(out, status === 'exists' ? 'EX' : 'NF', req);
    }
    return;
  }

  // Invalidate: keep the data, mark it stale, give it a new CAS, let the
  // next reader win the recache.
  const ref = store.peek(req.key);
  if (ref < 0) return writeStatus(out, 'NF', req);
  if (nums.cas !== undefined && BigInt(store.itemCas(ref)) !== nums.cas) return writeStatus(out, 'EX', req);
  const value = copyValue(store, ref);
  const itemFlags = store.itemFlags(ref);
  const keepBits = store.itemBits(ref) & ITEM_FETCHED;
  const exptime = nums.ttl ?? exptimeForRemaining(ctx, store.itemTtlRemaining(ref));
  // Rewriting the item is how a segment store gives it a new CAS.
  if (store.store('set', req.key, value, itemFlags, exptime, 0) === 'stored') {
    const fresh = store.peek(req.key);
    if (fresh >= 0) setBits(store, fresh, ITEM_STALE | keepBits, ITEM_WIN_SENT);
  }
  if (!req.quiet) writeStatus(out, 'HD', req);
}

// ---- ma ----------------------------------------------------------------------

function metaArithmetic(req: MetaRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store } = ctx;
  const flags = req.flags;
  const nums = validateMetaFlags(flags, true, out);
  if (nums === undefined) return;

  let incr = true;
  const modeToken = flags.get('M');
  if (typeof modeToken === 'string') {
    if (modeToken === 'I' || modeToken === '+') incr = true;
    else if (modeToken === 'D' || modeToken === '-') incr = false;
    else return out.writeBuffer(ERR_MA_MODE);
  }

  // ma compares only a nonzero CAS (C0 means no compare), unlike md.
  const cas = nums.cas === undefined ? 0 : casNumber(nums.cas);
  const status = store.arith(req.key, incr, nums.delta, undefined, 0, cas);
  let value: bigint;
  let created = false;
  switch (status) {
    case 'ok':
      if (req.quiet) return;
      value = store.lastArithValue;
      break;
    case 'non_numeric':
      return out.writeBuffer(ERR_NON_NUMERIC);
    case 'out_of_memory':
      return out.writeBuffer(ERR_MA_OOM);
    case 'exists':
      return writeStatus(out, 'EX', req);
    case 'not_found': {
      if (nums.vivifyTtl === undefined) return writeStatus(out, 'NF', req);
      const text = Buffer.from(nums.initial.toString(), 'latin1');
      const created_ = store.store('add', req.key, text, 0, nums.vivifyTtl, 0);
      if (created_ === 'out_of_memory' || created_ === 'too_large') {
        return out.writeBuffer(REPLY.SERVER_ERROR_OUT_OF_MEMORY_VIVIFY);
      }
      if (created_ !== 'stored') return writeStatus(out, 'NS', req);
      value = nums.initial;
      created = true;
      break;
    }
  }

  let ref = store.peek(req.key);
  const digits = value.toString();
  writeHitCode(out, flags.has('v'), digits.length);
  let ttlApplied = false;
  for (const [flag, token] of flags) {
    switch (flag) {
      case 'c':
        out.writeAscii(' c');
        writeUnsigned(out, ref >= 0 ? store.itemCas(ref) : 0);
        break;
      case 't':
        if (ref >= 0) writeTtl(out, store, ref);
        else out.writeAscii(' t-1');
        break;
      case 'T':
        store.touch(req.key, nums.ttl as number);
        ref = store.peek(req.key);
        ttlApplied = true;
        break;
      case 'N':
        if (created && ttlApplied) {
          store.touch(req.key, nums.vivifyTtl as number);
          ref = store.peek(req.key);
        }
        break;
      default:
        writeEchoFlag(out, req, flag, token);
    }
  }
  out.writeCRLF();
  if (flags.has('v')) {
    writeBigDecimal(out, value);
    out.writeCRLF();
  }
}

// ---- me ----------------------------------------------------------------------

function metaDebug(req: MetaRequest, ctx: ServerContext, out: ReplyWriter): void {
  const { store } = ctx;
  // memcached's cmd_meta counts only this command.
  ctx.counters.cmdMeta++;
  const ref = store.peek(req.key);
  if (ref < 0) {
    out.writeBuffer(REPLY.META_EN);
    return;
  }
  const ttl = store.itemTtlRemaining(ref);
  const flags = store.itemFlags(ref);
  const length = store.itemValueLength(ref);
  const size = memcachedItemSize(req.key.length, length, flags, ctx.settings.casEnabled);
  out.writeBuffer(REPLY_PREFIX.META_ME);
  if (req.base64Key) out.writeAscii(req.key.toString('base64'));
  else out.writeBuffer(req.key);
  // 1.6.18 prints exp as now - deadline: the negated remaining TTL.
  out.writeAscii(` exp=${ttl < 0 ? -1 : -ttl}`);
  out.writeAscii(` la=${Math.max(0, store.itemLastAccess(ref))}`);
  out.writeAscii(' cas=');
  writeUnsigned(out, store.itemCas(ref));
  out.writeAscii((store.itemBits(ref) & ITEM_FETCHED) !== 0 ? ' fetch=yes' : ' fetch=no');
  out.writeAscii(` cls=${slabClassFor(size)} size=${size}`);
  out.writeCRLF();
}

// The class arithmetic is shared with stats items / slabs (segments/slab-classes.ts).
export { memcachedItemSize, slabClassFor } from '../../segments/slab-classes.js';
