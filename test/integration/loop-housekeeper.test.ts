// -t 1 (the single event loop) has a housekeeping thread, as -t N has: it
// keeps a reserve of free segments by evicting beside the request path, so
// sets into a full cache do not wait for an eviction (segcache_inline_merges
// stays 0). A caller that injects a clock keeps everything on its thread:
// there a full cache still merges inline, as before.
//
// "Steady load" here: after each batch of sets, smaller than a segment, the
// client waits until the reserve is back (segcache_segments_free >=
// segcache_reserve_segments, 1 for -m 16's 15 segments).
// A batch then takes at most one free segment, so a set can only ever wait
// for a merge if nobody refills the reserve: without the housekeeping thread the free count stays at 0 once
// the cache is full and the wait gives up.

import t from 'tap';
import type net from 'node:net';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer } from './helpers/server.js';
import { connect, send } from './helpers/exchange.js';
import type { SegmentStore } from '../../segments/segment-store.js';
import { PACE_RATIO } from '../../lib/server/housekeeper-pace.js';

const MB = 1024 * 1024;
/** 15 segments of about 1 MiB. */
const MEMORY = 16 * MB;
const VALUE = 'v'.repeat(1000);
/** Sets per batch: about 0.4 MiB, under one segment. */
const BATCH = 400;
/** How long the client waits for the housekeeper to refill the reserve (a liveness bound, not a speed claim). */
const REFILL_WAIT_MS = 20_000;

/** memcached's general `stats` and our own `stats segcache` fields, in one map. */
async function stats(socket: net.Socket): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  for (const command of ['stats\r\n', 'stats segcache\r\n']) {
    const reply = (await send(socket, command)).reply.toString('latin1');
    for (const m of reply.matchAll(/^STAT (\S+) (\d+)\r$/gm)) map.set(m[1] as string, Number(m[2]));
  }
  return map;
}

/** Write `batches` batches of new keys; after each, wait (bounded) for the reserve. False if it never came back. */
async function steadyLoad(socket: net.Socket, batches: number): Promise<boolean> {
  const reserve = (await stats(socket)).get('segcache_reserve_segments') ?? Infinity;
  let key = 0;
  for (let b = 0; b < batches; b++) {
    let request = '';
    for (let i = 0; i < BATCH; i++) request += `set k${key++} 0 0 ${VALUE.length} noreply\r\n${VALUE}\r\n`;
    await send(socket, request);
    const deadline = Date.now() + REFILL_WAIT_MS;
    while (((await stats(socket)).get('segcache_segments_free') ?? 0) < reserve) {
      if (Date.now() > deadline) return false;
      await sleep(5);
    }
  }
  return true;
}

t.test('-t 1: the housekeeping thread merges, no set waits for an inline merge', async (t) => {
  const { port } = await startTestServer(t, { threads: 1, maxBytes: MEMORY });
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  // About 3x the memory: the cache fills, then every batch needs evictions.
  t.ok(await steadyLoad(socket, Math.ceil((3 * MEMORY) / (BATCH * VALUE.length))), 'the reserve of free segments came back after every batch');
  const after = await stats(socket);
  // Set-only, nothing read: eviction drops whole segments rather than merging them.
  t.ok((after.get('evictions') ?? 0) > 0, `${after.get('evictions')} evictions, all by the housekeeping thread`);
  t.ok((after.get('segcache_segments_dropped') ?? 0) > 0, `${after.get('segcache_segments_dropped')} segments dropped whole`);
  t.equal(after.get('segcache_merges'), 0, 'and none merged: nothing was read, so there was nothing to rank');
  t.equal(after.get('segcache_inline_merges'), 0, 'no set evicted inline');
  t.equal(after.get('threads'), 1);
});

/** Set keys k<from>..k<to-1> (1000-byte values) in batches; `lookAside`: each set follows a get of the key, as a look-aside client writes back a miss. */
async function writeKeys(socket: net.Socket, from: number, to: number, lookAside: boolean): Promise<void> {
  for (let key = from; key < to; ) {
    let request = '';
    for (let i = 0; i < BATCH && key < to; i++, key++) {
      if (lookAside) request += `get k${key}\r\n`;
      request += `set k${key} 0 0 ${VALUE.length} noreply\r\n${VALUE}\r\n`;
    }
    await send(socket, request);
  }
}

// Ghost keys (segments/ghost-keys.ts) readmit an evicted key written again
// at frequency 1, but only a get miss since its eviction marks its segment
// read: a write-only client cycling its keys (write-through, bulk reloads)
// keeps the whole-segment drops, and look-aside traffic gets ranked merges.
t.test('keys written again without a get keep the whole-segment drops; look-aside rewrites are merged by rank', async (t) => {
  const { port } = await startTestServer(t, { threads: 1, maxBytes: MEMORY });
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const keys = Math.ceil((2 * MEMORY) / VALUE.length);
  // Twice the memory, written twice: the second pass rewrites keys the first one's evictions remembered.
  await writeKeys(socket, 0, keys, false);
  await writeKeys(socket, 0, keys, false);
  const blind = await stats(socket);
  t.ok((blind.get('segcache_segments_dropped') ?? 0) > 0, `write-only: ${blind.get('segcache_segments_dropped')} segments dropped whole`);
  t.equal(blind.get('segcache_merges'), 0, 'write-only: no merge ranked anything');
  t.equal(blind.get('get_hits') ?? 0, 0);
  // Now each rewrite follows a miss.
  await writeKeys(socket, 0, keys, true);
  const lookAside = await stats(socket);
  t.ok((lookAside.get('get_misses') ?? 0) > 0, `${lookAside.get('get_misses')} get misses before the rewrites`);
  t.ok((lookAside.get('segcache_merges') ?? 0) > 0, `look-aside: ${lookAside.get('segcache_merges')} ranked merges`);
});

t.test('with an injected clock the loop has no housekeeping thread: a full cache merges inline', async (t) => {
  const { port } = await startTestServer(t, { threads: 1, maxBytes: MEMORY }, { clock: { nowMs: () => Date.now() } });
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  let request = '';
  for (let i = 0; i < (3 * MEMORY) / VALUE.length; i++) request += `set k${i} 0 0 ${VALUE.length} noreply\r\n${VALUE}\r\n`;
  await send(socket, request);
  const after = await stats(socket);
  t.ok((after.get('evictions') ?? 0) > 0, `${after.get('evictions')} evictions`);
  t.ok((after.get('segcache_inline_merges') ?? 0) > 0, `${after.get('segcache_inline_merges')} sets merged inline`);
  t.equal(after.get('segcache_housekeeper'), 0, 'stats says no housekeeper runs');
  t.equal(after.get('segcache_housekeeper_pace'), 0, 'and no pace');
});

// A thread takes tens of milliseconds to boot (far more on a loaded
// machine); a server that listened before its housekeeper ran would let
// the first writes take the free pool below the reserve with nobody to
// refill it (memcached's dyn-maxbytes.t once saw no evictions that way).
t.test('the server takes no request before its housekeeping thread runs', async (t) => {
  for (const threads of [1, 2]) {
    const { server } = await startTestServer(t, { threads, maxBytes: MEMORY });
    // -t 1 serves from this thread's store; -t N's store lives in the workers (attached here for the check).
    const store = threads === 1 ? (server.context.store as SegmentStore) : undefined;
    if (store !== undefined) t.ok(store.housekeeperStarted, '-t 1: the housekeeper has taken a step when startServer returns');
    else {
      const socket = await connect(server.port);
      t.teardown(() => socket.destroy());
      t.equal((await stats(socket)).get('segcache_housekeeper'), 1, `-t ${threads}: stats says the housekeeper runs`);
    }
  }
});

// The housekeeping thread reads the env when it starts (a worker's env is the parent's at that moment).
t.test('stats segcache says the housekeeper\'s pace: by the cores by default, GROW_A_CACHE_HOUSEKEEPER_PACE when set', async (t) => {
  const saved = process.env.GROW_A_CACHE_HOUSEKEEPER_PACE;
  t.teardown(() => {
    if (saved === undefined) delete process.env.GROW_A_CACHE_HOUSEKEEPER_PACE;
    else process.env.GROW_A_CACHE_HOUSEKEEPER_PACE = saved;
  });
  const paceOf = async (threads: number): Promise<number | undefined> => {
    const { port } = await startTestServer(t, { threads, maxBytes: MEMORY });
    const socket = await connect(port);
    t.teardown(() => socket.destroy());
    return (await stats(socket)).get('segcache_housekeeper_pace');
  };
  delete process.env.GROW_A_CACHE_HOUSEKEEPER_PACE;
  for (const threads of [1, 2]) {
    const expected = availableParallelism() > threads ? 0 : PACE_RATIO;
    t.equal(await paceOf(threads), expected, `-t ${threads} on ${availableParallelism()} core(s): ${expected === 0 ? 'flat out' : 'paced'}`);
  }
  process.env.GROW_A_CACHE_HOUSEKEEPER_PACE = '2';
  t.equal(await paceOf(1), 2, 'the env sets it');
  process.env.GROW_A_CACHE_HOUSEKEEPER_PACE = '0';
  t.equal(await paceOf(2), 0, 'the env turns it off');
});

// The reserve segment-store.ts defaultReserveSegments gives: 1/32 of the
// heap, at least 2 from 64 segments, one below; and at least one per
// request thread, up to 1/16 of the heap.
t.test('stats segcache says the reserve of free segments the housekeeper keeps', async (t) => {
  const reserveOf = async (threads: number, maxBytes: number): Promise<number | undefined> => {
    const { port } = await startTestServer(t, { threads, maxBytes });
    const socket = await connect(port);
    t.teardown(() => socket.destroy());
    return (await stats(socket)).get('segcache_reserve_segments');
  };
  t.equal(await reserveOf(1, MEMORY), 1, '-t 1, 15 segments');
  t.equal(await reserveOf(1, 64 * MB), 2, '-t 1, 64 segments');
  t.equal(await reserveOf(2, 64 * MB), 2, '-t 2, 64 segments');
  t.equal(await reserveOf(4, 64 * MB), 4, '-t 4, 64 segments: one per request thread');
  t.equal(await reserveOf(4, MEMORY), 1, '-t 4, 15 segments: not above 1/16 of the heap');
});
