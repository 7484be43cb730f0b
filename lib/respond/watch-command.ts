// `watch [type...]`, as memcached 1.6.18's process_watch_command: `OK`,
// then log lines for as long as the connection stays open (see
// lib/observability/watch-bus.ts and watch-stream.ts), and the small
// helpers the request path calls to publish, each behind one flag test.

import type { ServerContext, Session } from '../server/context.js';
import type { AdminRequest, StoreMode } from '../../protocol/request.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { CacheStore, StoreStatus } from '../../segments/types.js';
import { ITEM_FETCHED } from '../../segments/types.js';
import { REPLY } from '../../protocol/text/replies.js';
import { WATCH, WATCH_NAMES, watchBus } from '../observability/watch-bus.js';
import { WatchStream } from '../observability/watch-stream.js';
import { repliesPending, uriEncodeKey } from './lru-crawler.js';

function line(text: string): Buffer {
  return Buffer.from(text + '\r\n', 'latin1');
}

const WATCH_NOT_ALLOWED = line('CLIENT_ERROR watch commands not allowed');
const PIPELINED_WATCH = line('ERROR cannot pipeline other commands before watch');
const TOO_MANY = line('WATCHER_TOO_MANY log watcher limit reached');
const FAILED = line('WATCHER_FAILED failed to add log watcher');

export function respondWatch(req: AdminRequest, ctx: ServerContext, session: Session, out: ReplyWriter): void {
  const reply = (b: Buffer): void => {
    if (!req.quiet) out.writeBuffer(b);
  };
  if (!ctx.settings.watchEnabled) return reply(WATCH_NOT_ALLOWED);
  if (repliesPending(out)) return reply(PIPELINED_WATCH);
  let flags = 0;
  if (req.args.length === 0) flags = WATCH.FETCHERS;
  for (const name of req.args) {
    const flag = WATCH_NAMES[name];
    if (flag === undefined) return reply(REPLY.ERROR);
    flags |= flag;
  }
  if (session.startStream === undefined) return reply(FAILED);
  const stream = new WatchStream(watchBus, flags, ctx.settings.watcherLogbufSize);
  if (!watchBus.subscribe(stream)) return reply(TOO_MANY);
  if (flags & WATCH.EVICTIONS) watchEvictions(ctx.store);
  out.writeBuffer(REPLY.OK);
  stream.attach(session.startStream(stream));
}

const GET_STATUS = ['not_found', 'found', 'flushed', 'expired'] as const;

/** item_get, as memcached's do_item_get logs it (call only when watchBus.flags & WATCH.FETCHERS). */
export function publishGet(key: Uint8Array, status: 0 | 1 | 2 | 3, valueBytes: number, cfd: number): void {
  watchBus.publish(
    WATCH.FETCHERS,
    `type=item_get key=${uriEncodeKey(key)} status=${GET_STATUS[status]} clsid=${status === 1 ? 1 : 0} cfd=${cfd} size=${status === 1 ? valueBytes : 0}`,
  );
}

/**
 * `type=eviction`, as memcached's item eviction line: the store calls this
 * per evicted item while a watcher asks for evictions; the first call after
 * the last such watcher left unhooks it. With -t N (a shared bus) every
 * thread hooks it at start and keeps it: a watcher in one worker cannot
 * hook another thread's store, and the test per eviction is one load.
 */
export function watchEvictions(store: CacheStore): void {
  store.setEvictionListener((ref) => {
    if ((watchBus.flags & WATCH.EVICTIONS) === 0) {
      if (!watchBus.isShared) store.setEvictionListener(null);
      return;
    }
    const fetched = (store.itemBits(ref) & ITEM_FETCHED) !== 0;
    watchBus.publish(
      WATCH.EVICTIONS,
      `type=eviction key=${uriEncodeKey(store.itemKey(ref))} fetch=${fetched ? 'yes' : 'no'} ttl=${store.itemTtlRemaining(ref)} la=${store.itemLastAccess(ref)} clsid=1 size=${store.itemValueLength(ref)}`,
    );
  });
}

/** A lookup memcached makes before acting (store, delete): logged as item_get. Call only when watchBus.flags & WATCH.FETCHERS. */
export function publishLookup(store: CacheStore, key: Uint8Array, cfd: number): void {
  const old = store.peek(key as Buffer);
  publishGet(key, old >= 0 ? 1 : 0, old >= 0 ? store.itemValueLength(old) : 0, cfd);
}

const STORE_STATUS: Record<StoreStatus, string> = {
  not_stored: 'not_stored',
  stored: 'stored',
  exists: 'exists',
  not_found: 'not_found',
  too_large: 'too_large',
  out_of_memory: 'no_memory',
};

/** memcached's `ttl=`: seconds from now to the item's expiry, 0 for none. */
function ttlOf(exptime: number, nowS: number): number {
  if (exptime <= 0) return 0;
  if (exptime <= 60 * 60 * 24 * 30) return exptime;
  return Math.max(0, exptime - nowS);
}

/** item_store, as memcached's do_store_item logs it (call only when watchBus.flags & WATCH.MUTATIONS). */
export function publishStore(
  mode: StoreMode,
  key: Uint8Array,
  status: StoreStatus,
  exptime: number,
  valueBytes: number,
  cfd: number,
  nowS: number,
): void {
  watchBus.publish(
    WATCH.MUTATIONS,
    `type=item_store key=${uriEncodeKey(key)} status=${STORE_STATUS[status]} cmd=${mode} ttl=${ttlOf(exptime, nowS)} clsid=1 cfd=${cfd} size=${valueBytes}`,
  );
}

/** conn_new / conn_close (call only when watchBus.flags & WATCH.CONNEVENTS). */
export function publishConnection(kind: 'conn_new' | 'conn_close', addr: string, cfd: number, reason?: string): void {
  const m = /^(tcp|unix|udp):(?:\[(.*)\]|([^:]*)):?(\d*)$/.exec(addr);
  const transport = m === null ? 'tcp' : m[1] === 'unix' ? 'local' : m[1]!;
  const rip = m === null || transport === 'local' ? '' : (m[2] ?? m[3] ?? '');
  const rport = m === null || transport === 'local' ? 0 : Number(m[4] || 0);
  const why = kind === 'conn_close' ? ` reason=${reason ?? 'normal'}` : '';
  watchBus.publish(WATCH.CONNEVENTS, `type=${kind} rip=${rip} rport=${rport} transport=${transport}${why} cfd=${cfd}`);
}
