// `lru_crawler crawl|metadump|tocrawl|sleep|enable|disable`, answered as
// memcached 1.6.18's process_lru_crawler_command does.
//
// metadump streams one line per live item through the connection
// (Session.startStream), a slice of the heap per event-loop turn, so other
// clients are served between slices; requests pipelined after it wait until
// END. memcached's slab classes do not exist here, but every item reports
// the class memcached would give it (`cls=`, as `me` and `stats items`
// count it; segments/slab-classes.ts) and a list of ids dumps those
// classes; `size=` is our record size.
// `crawl` runs the store's expiry pass at once (our crawler is the store's
// proactive expiry, see segments/item-space.ts sweep), so it is never BUSY
// except while a metadump runs: memcached has one crawler for both.
//
// Not here: the per-class LRU selection of `tocrawl` (stored and reported,
// nothing to cap) and `sleep` (stored and reported; slices yield with
// setImmediate instead of sleeping).

import type { ReplyStream, ServerContext, Session } from '../server/context.js';
import type { AdminRequest } from '../../protocol/request.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { CacheStore, ItemWalk } from '../../segments/index.js';
import { ITEM_FETCHED } from '../../segments/index.js';
import { NEVER } from '../../segments/expiry-time.js';
import { REPLY } from '../../protocol/text/replies.js';
import { memcachedItemSize, slabClassFor } from '../../segments/slab-classes.js';

/** Records read per slice of a metadump (one event-loop turn). */
const RECORDS_PER_SLICE = 2000;
/** memcached's class ids run from 1 to 63. */
const MAX_CLASS_ID = 63;
/** memcached's `sleep` bound: one second in microseconds. */
const MAX_SLEEP_US = 1_000_000;

function line(text: string): Buffer {
  return Buffer.from(text + '\r\n', 'latin1');
}

const CRAWLER_DISABLED = line('CLIENT_ERROR lru crawler disabled');
const METADUMP_NOT_ALLOWED = line('ERROR metadump not allowed');
const BUSY = line('BUSY currently processing crawler request');
const BADCLASS = line('BADCLASS invalid class id');
const NOTSTARTED = line('NOTSTARTED no items to crawl');
const UNKNOWN_ERROR = line('ERROR an unknown error happened');
const SLEEP_TOO_LONG = line('CLIENT_ERROR sleep must be one second or less');
const START_FAILED = line('ERROR failed to start lru crawler thread');
const PIPELINED_METADUMP = line('ERROR cannot pipeline other commands before metadump');
const END_LINE = Buffer.from('END\r\n', 'latin1');

/**
 * memcached refuses metadump and watch behind replies of the same read
 * still unsent, except a get's (whose reply ends in END, observed with
 * 1.6.18: `get a\r\nlru_crawler metadump all` dumps, `version\r\n...` does not).
 */
export function repliesPending(out: ReplyWriter): boolean {
  if (out.length === 0) return false;
  const p = out.pos;
  return !(p >= END_LINE.length && out.chunk.subarray(p - END_LINE.length, p).equals(END_LINE));
}

/** Server-wide crawler state: memcached runs one crawler at a time. */
export interface CrawlerState {
  /** A metadump is streaming. */
  running: boolean;
  /** Crawls and metadumps started (stats lru_crawler_starts). */
  starts: number;
}

export function newCrawlerState(): CrawlerState {
  return { running: false, starts: 0 };
}

export function respondLruCrawler(req: AdminRequest, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  const { args } = req;
  const { settings } = ctx;
  const sub = args[0];
  if (args.length === 2 && (sub === 'crawl' || sub === 'metadump')) {
    if (!settings.lruCrawler) return out.writeBuffer(CRAWLER_DISABLED);
    if (sub === 'metadump' && !settings.dumpEnabled) return out.writeBuffer(METADUMP_NOT_ALLOWED);
    if (sub === 'metadump' && repliesPending(out)) return out.writeBuffer(PIPELINED_METADUMP);
    const target = parseClasses(args[1]!);
    if (target === 'bad') return out.writeBuffer(BADCLASS);
    if (target === 'none') return out.writeBuffer(NOTSTARTED);
    if (ctx.crawler.running) return out.writeBuffer(BUSY);
    if (sub === 'crawl') {
      // memcached's crawler only walks the hash table for metadump.
      if (target === 'hash') return out.writeBuffer(UNKNOWN_ERROR);
      ctx.crawler.starts++;
      ctx.store.expireNow();
      return out.writeBuffer(REPLY.OK);
    }
    if (session.startStream === undefined) return out.writeBuffer(UNKNOWN_ERROR);
    ctx.crawler.starts++;
    const classes = target === 'all' || target === 'hash' ? null : target;
    ctx.crawler.running = true;
    session.startStream(new MetadumpStream(ctx.store, ctx.store.itemWalk(), classes, ctx.settings.casEnabled, ctx.crawler, () => ctx.nowSeconds()));
    return;
  }
  if (args.length === 2 && (sub === 'tocrawl' || sub === 'sleep')) {
    const n = parseUint32(args[1]!);
    if (n === undefined) return out.writeBuffer(REPLY.CLIENT_ERROR_BAD_FORMAT);
    if (sub === 'tocrawl') {
      settings.lruCrawlerTocrawl = n;
    } else {
      if (n > MAX_SLEEP_US) return out.writeBuffer(SLEEP_TOO_LONG);
      settings.lruCrawlerSleep = n;
    }
    return out.writeBuffer(REPLY.OK);
  }
  if (args.length === 1 && sub === 'enable') {
    // memcached fails to start a crawler thread that already runs.
    if (settings.lruCrawler) return out.writeBuffer(START_FAILED);
    settings.lruCrawler = true;
    return out.writeBuffer(REPLY.OK);
  }
  if (args.length === 1 && sub === 'disable') {
    settings.lruCrawler = false;
    return out.writeBuffer(REPLY.OK);
  }
  out.writeBuffer(REPLY.ERROR);
}

/** `all`, `hash`, or a comma-separated list of class ids 1..63 (memcached's strtok: empty pieces skipped). */
function parseClasses(text: string): 'all' | 'hash' | 'bad' | 'none' | Set<number> {
  if (text === 'all') return 'all';
  if (text === 'hash') return 'hash';
  const ids = new Set<number>();
  for (const piece of text.split(',')) {
    if (piece === '') continue;
    const id = parseUint32(piece);
    if (id === undefined || id < 1 || id > MAX_CLASS_ID) return 'bad';
    ids.add(id);
  }
  return ids.size === 0 ? 'none' : ids;
}

/** memcached's safe_strtoul: decimal digits (leading blanks allowed), at most 32 bits. */
function parseUint32(text: string): number | undefined {
  const m = /^[ \t]*\+?(\d+)$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= 0xffffffff ? n : undefined;
}

/** memcached's uriencode: letters, digits and `-._~` as they are, every other byte as %XX. */
export function uriEncodeKey(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    const plain =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126;
    s += plain ? String.fromCharCode(c) : '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  }
  return s;
}

/**
 * One metadump: a slice of the heap per pump. Lines end in a bare `\n` and
 * the dump in `END\r\n`, byte for byte as memcached.
 */
class MetadumpStream implements ReplyStream {
  readonly dropsInput = false;
  private finished = false;

  constructor(
    private readonly store: CacheStore,
    private readonly walk: ItemWalk | null,
    /** Class ids to dump; null: every item. */
    private readonly classes: Set<number> | null,
    private readonly casEnabled: boolean,
    private readonly crawler: CrawlerState,
    private readonly nowSeconds: () => number,
  ) {}

  pump(out: ReplyWriter): 'more' | 'done' {
    const walk = this.walk;
    if (walk !== null) {
      // One slice under the store lock: with worker threads, no merge or
      // expiry moves the records this slice reads.
      this.store.beginRead();
      let more: boolean;
      try {
        more = !walk.step(RECORDS_PER_SLICE, (ref, size, deadline) => this.writeItem(out, ref, size, deadline));
      } finally {
        this.store.endRead();
      }
      if (more) return 'more';
    }
    out.writeBuffer(REPLY.END);
    return 'done';
  }

  private writeItem(out: ReplyWriter, ref: number, size: number, deadline: number): void {
    const store = this.store;
    // Deadlines are absolute unix seconds already; NEVER (0) prints as -1.
    const exp = deadline === NEVER ? -1 : deadline;
    const key = store.itemKey(ref);
    const cls = slabClassFor(memcachedItemSize(key.length, store.itemValueLength(ref), store.itemFlags(ref), this.casEnabled));
    if (this.classes !== null && !this.classes.has(cls)) return;
    const la = this.nowSeconds() - store.itemLastAccess(ref);
    const fetched = (store.itemBits(ref) & ITEM_FETCHED) !== 0;
    out.writeAscii(
      `key=${uriEncodeKey(key)} exp=${exp} la=${la} cas=${store.itemCas(ref)} fetch=${fetched ? 'yes' : 'no'} cls=${cls} size=${size}\n`,
    );
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.crawler.running = false;
  }
}
