// `stats cachedump <class> <limit>`, answered as memcached 1.6.18's
// item_cachedump: `ITEM <key> [<value bytes> b; <abs expiry or 0> s]` per
// item of that slab class, at most <limit> (0: no limit) and at most 2 MiB of
// reply, then END. memcached holds one LRU lock for the whole dump; we have
// no slab classes, so the class of an item is the one memcached would give
// it (slabClassFor, as `me` reports), and the heap is walked a slice per
// event-loop turn as lru_crawler metadump does, so other clients are served
// meanwhile.
//
// Not here: memcached lists only its COLD LRU of the class (with its LRU
// maintainer on, fresh items sit in HOT and are not listed); we have no
// LRUs and list every live item of the class.

import type { ReplyStream, ServerContext, Session } from '../server/context.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { CacheStore, ItemWalk } from '../../segments/index.js';
import { NEVER } from '../../segments/expiry-time.js';
import { REPLY } from '../../protocol/text/replies.js';
import { memcachedItemSize, slabClassFor } from './respond-meta.js';

/** Records read per slice (one event-loop turn). */
const RECORDS_PER_SLICE = 2000;
/** memcached's MAX_NUMBER_OF_SLAB_CLASSES: ids 0..63 are accepted. */
const MAX_NUMBER_OF_SLAB_CLASSES = 64;
/** memcached's reply cap (2 MiB, less END and its NUL). */
const REPLY_LIMIT_BYTES = 2 * 1024 * 1024 - 6;

/** memcached's safe_strtoul: decimal digits (leading blanks allowed), at most 32 bits. */
function parseUint32(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^[ \t]*\+?(\d+)$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= 0xffffffff ? n : undefined;
}

/** Answer `stats cachedump ...`; `args` is the line after `cachedump`. */
export function respondCachedump(args: string, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  const write = (text: string): void => {
    out.writeAscii(text);
    out.writeCRLF();
  };
  if (!ctx.settings.dumpEnabled) return write('CLIENT_ERROR stats cachedump not allowed');
  const words = args.split(' ').filter((w) => w !== '');
  if (words.length < 2) return write('CLIENT_ERROR bad command line');
  const id = parseUint32(words[0]);
  const limit = parseUint32(words[1]);
  if (id === undefined || limit === undefined) return write('CLIENT_ERROR bad command line format');
  if (id >= MAX_NUMBER_OF_SLAB_CLASSES) return write('CLIENT_ERROR Illegal slab id');
  // memcached has no class 0: it dumps nothing.
  if (id === 0) {
    out.writeBuffer(REPLY.END);
    return;
  }
  const stream = new CachedumpStream(ctx.store, ctx.store.itemWalk(), id, limit, ctx.settings.casEnabled);
  if (session.startStream !== undefined) {
    session.startStream(stream);
    return;
  }
  // A session that cannot stream (UDP) gets the whole dump at once, as memcached gives it.
  while (stream.pump(out) === 'more');
}

class CachedumpStream implements ReplyStream {
  readonly dropsInput = false;
  readonly keepsPipelined = true;
  private shown = 0;
  private bytes = 0;
  private full = false;

  constructor(
    private readonly store: CacheStore,
    private readonly walk: ItemWalk,
    private readonly classId: number,
    private readonly limit: number,
    private readonly casEnabled: boolean,
  ) {}

  pump(out: ReplyWriter): 'more' | 'done' {
    if (!this.full) {
      // One slice under the store lock: with worker threads, no merge or
      // expiry moves the records this slice reads.
      this.store.beginRead();
      let walked: boolean;
      try {
        walked = this.walk.step(RECORDS_PER_SLICE, (ref, _size, deadline) => this.visit(out, ref, deadline));
      } finally {
        this.store.endRead();
      }
      if (!walked && !this.full) return 'more';
    }
    out.writeBuffer(REPLY.END);
    return 'done';
  }

  private visit(out: ReplyWriter, ref: number, deadline: number): void {
    if (this.full) return;
    const store = this.store;
    const key = store.itemKey(ref);
    // memcached skips binary (meta base64) keys; a key with a blank or control byte can only be one.
    if (key.some((b) => b <= 0x20 || b === 0x7f)) return;
    const length = store.itemValueLength(ref);
    if (slabClassFor(memcachedItemSize(key.length, length, store.itemFlags(ref), this.casEnabled)) !== this.classId) return;
    if (this.limit !== 0 && this.shown >= this.limit) {
      this.full = true;
      return;
    }
    // Deadlines are absolute unix seconds already (memcached adds process_started).
    const line = `ITEM ${Buffer.from(key).toString('latin1')} [${length} b; ${deadline === NEVER ? 0 : deadline} s]\r\n`;
    if (this.bytes + line.length > REPLY_LIMIT_BYTES) {
      this.full = true;
      return;
    }
    this.bytes += line.length;
    this.shown++;
    out.writeAscii(line);
  }

  end(): void {}
}
