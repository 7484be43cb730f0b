// Worker thread for the concurrent store tests: attaches to the shared store
// from workerData and runs a fixed number of operations, checking every
// value it reads on the spot. Reports { problems, stats } to the parent.
//
// Values of the hammer keys are self-validating:
//   V|<key>|<writer>|<seq>|<deadline>|<pad>|<checksum>
// where deadline is the absolute exptime (0 = never) and checksum covers
// everything before it, so a torn or misplaced value cannot pass.

import { parentPort, workerData } from 'node:worker_threads';
import { attachStore, type SharedStoreHandle } from '../../segments/shared-store.js';
import type { SegmentStore } from '../../segments/segment-store.js';
import { prng } from '../prng.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';
import { writeGetHit } from '../../lib/respond/item-output.js';

export interface WorkerTask {
  handle: SharedStoreHandle;
  slot: number;
  writer: number;
  mode: 'hammer' | 'exact' | 'sets' | 'large';
  ops: number;
  keys: number;
  /** Int32: [0] = clock seconds; [1 + writer] = sequence numbers each writer has used; [1 + workers] = workers ready. */
  shared: SharedArrayBuffer;
  workers: number;
}

const task = workerData as WorkerTask;
const shared = new Int32Array(task.shared);
const clock = { nowMs: (): number => Atomics.load(shared, 0) * 1000 };
const store = attachStore(task.handle, { threadSlot: task.slot, clock });
const problems: string[] = [];
const stats: Record<string, number> = {};
const rand = prng(1000 + task.writer);
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const reply = new ReplyWriter(4096);

function bump(name: string): void {
  stats[name] = (stats[name] ?? 0) + 1;
}

function problem(text: string): void {
  if (problems.length < 20) problems.push(`writer ${task.writer}: ${text}`);
}

function checksum(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function makeValue(key: string, seq: number, deadline: number, padMax = 3000): Buffer {
  const pad = String.fromCharCode(97 + (seq % 26)).repeat(Math.floor(rand() * rand() * padMax));
  const body = `V|${key}|${task.writer}|${seq}|${deadline}|${pad}`;
  return b(`${body}|${checksum(body)}`);
}

/** Read `key` inside a bracket and validate what came back; `before` is the clock second read before the lookup. */
function readChecked(s: SegmentStore, key: string, touchTo?: number): void {
  const before = Atomics.load(shared, 0);
  // A plain get as the text responder makes it: read attempts, optimistic
  // and retried when a writer overlaps (item-output.ts writeGetHit); the
  // reply must be exactly one VALUE item. Get-and-touch writes.
  let text: string | undefined;
  if (touchTo === undefined) {
    const length = writeGetHit(reply, s, b(key), false);
    const taken = reply.take();
    const bytes = taken === null ? Buffer.alloc(0) : Array.isArray(taken) ? Buffer.concat(taken) : taken;
    reply.recycle();
    if (length >= 0) {
      const head = `VALUE ${key} 0 ${length}\r\n`;
      const all = bytes.toString('latin1');
      if (!all.startsWith(head) || all.length !== head.length + length + 2 || !all.endsWith('\r\n')) return problem(`malformed reply for ${key}: ${all.slice(0, 60)}`);
      text = all.slice(head.length, head.length + length);
    } else if (bytes.length !== 0) {
      return problem(`a miss for ${key} left ${bytes.length} reply bytes`);
    }
  } else {
    s.beginWrite();
    try {
      const ref = s.getAndTouch(b(key), touchTo);
      if (ref >= 0) text = s.itemValue(ref).toString('latin1');
    } finally {
      s.endWrite();
    }
  }
  if (text === undefined) {
    bump('miss');
    return;
  }
  bump('hit');
  const cut = text.lastIndexOf('|');
  const body = text.slice(0, cut);
  if (String(checksum(body)) !== text.slice(cut + 1)) return problem(`torn value for ${key}: ${text.slice(0, 60)}...`);
  const [tag, k, writer, seq, deadline] = body.split('|');
  if (tag !== 'V' || k !== key) return problem(`value of ${k} returned for ${key}`);
  const w = Number(writer);
  if (!(w >= 0 && w < task.workers)) return problem(`unknown writer ${writer}`);
  if (!(Number(seq) < Atomics.load(shared, 1 + w))) return problem(`sequence ${seq} of writer ${w} was never written`);
  // Touched keys (t:) carry a stale deadline in their value; the others must not be read past it.
  const d = Number(deadline);
  if (key.startsWith('e:') && d !== 0 && d <= before) problem(`expired item returned: ${key} deadline ${d}, clock was ${before}`);
}

function hammer(): void {
  const modes = ['set', 'add', 'replace'] as const;
  for (let i = 0; i < task.ops; i++) {
    if (rand() < 0.002) Atomics.add(shared, 0, 1); // time passes
    const touched = rand() < 0.3;
    const key = `${touched ? 't' : 'e'}:${Math.floor(rand() * task.keys)}`;
    const r = rand();
    const now = Atomics.load(shared, 0);
    if (r < 0.35) {
      readChecked(store, key);
    } else if (r < 0.6) {
      const deadline = touched || rand() < 0.3 ? 0 : now + 1 + Math.floor(rand() * 4);
      const seq = Atomics.add(shared, 1 + task.writer, 1);
      bump(store.store(modes[Math.floor(rand() * 3)]!, b(key), makeValue(key, seq, deadline), 0, deadline, 0));
    } else if (r < 0.7) {
      // gets + cas
      let cas = 0;
      store.beginRead();
      try {
        const ref = store.peek(b(key));
        if (ref >= 0) cas = store.itemCas(ref);
      } finally {
        store.endRead();
      }
      if (cas > 0) {
        const deadline = touched ? 0 : now + 2;
        const seq = Atomics.add(shared, 1 + task.writer, 1);
        bump(`cas_${store.store('cas', b(key), makeValue(key, seq, deadline), 0, deadline, cas)}`);
      }
    } else if (r < 0.8) {
      bump(`delete_${store.delete(b(key), 0)}`);
    } else if (r < 0.9) {
      if (touched) bump(`touch_${store.touch(b(key), rand() < 0.5 ? 0 : now + 3)}`);
      else readChecked(store, key);
    } else if (touched) {
      readChecked(store, key, rand() < 0.5 ? 0 : now + 3);
    } else {
      // arith on a hammer key: never numeric, must answer non_numeric or not_found and change nothing.
      const status = store.arith(b(key), rand() < 0.5, 1n, undefined, 0, 0);
      if (status !== 'non_numeric' && status !== 'not_found') problem(`incr of a text value answered ${status}`);
    }
  }
}

/**
 * Gets of large values (up to half a segment) while the other workers
 * overwrite and delete them in a tiny heap, so merges and evictions rewrite
 * the segments under optimistic readers all the time.
 */
function large(): void {
  for (let i = 0; i < task.ops; i++) {
    const key = `e:${Math.floor(rand() * task.keys)}`;
    const r = rand();
    if (r < 0.6) {
      readChecked(store, key);
    } else if (r < 0.9) {
      const seq = Atomics.add(shared, 1 + task.writer, 1);
      bump(store.store('set', b(key), makeValue(key, seq, 0, 40_000), 0, 0, 0));
    } else {
      bump(`delete_${store.delete(b(key), 0)}`);
    }
  }
  stats.readAttempts = store.readAttempts;
  stats.readVoid = store.readVoid;
}

/**
 * Plain sets (the own-segment path of segment-store.ts) racing gets on the
 * same keys, with a rare flush_all and delete taking segments back from
 * their owners mid-stream.
 */
function sets(): void {
  for (let i = 0; i < task.ops; i++) {
    if (rand() < 0.002) Atomics.add(shared, 0, 1);
    const key = `e:${Math.floor(rand() * task.keys)}`;
    const r = rand();
    const now = Atomics.load(shared, 0);
    if (r < 0.5) {
      readChecked(store, key);
    } else if (r < 0.97) {
      const deadline = rand() < 0.5 ? 0 : now + 1 + Math.floor(rand() * 4);
      const seq = Atomics.add(shared, 1 + task.writer, 1);
      bump(store.store('set', b(key), makeValue(key, seq, deadline), 0, deadline, 0));
    } else if (r < 0.9995) {
      bump(`delete_${store.delete(b(key), 0)}`);
    } else {
      store.flushAll(0);
      bump('flush');
    }
  }
  stats.ownedSets = store.ownedSets;
  stats.stripedLinks = store.stripedLinks;
  stats.readVoid = store.readVoid;
}

/** Counters, CAS increments and appends whose end state is exact. */
function exact(): void {
  const w = task.writer;
  let appended = 0;
  for (let i = 0; i < task.ops; i++) {
    const r = i % 5;
    if (r === 0) {
      if (store.arith(b('n:shared'), true, 1n, undefined, 0, 0) !== 'ok') problem('incr of the shared counter failed');
      if (store.arith(b(`n:${w}`), true, 1n, undefined, 0, 0) !== 'ok') problem('incr of the own counter failed');
      if (store.arith(b('n:down'), false, 1n, undefined, 0, 0) !== 'ok') problem('decr failed');
    } else if (r === 1) {
      // Compare-and-swap increment: retry until this writer's token wins.
      for (let attempt = 0; ; attempt++) {
        let cas = 0;
        let value = 0;
        store.beginRead();
        try {
          const ref = store.peek(b('c:shared'));
          cas = store.itemCas(ref);
          value = Number(store.itemValue(ref).toString('latin1'));
        } finally {
          store.endRead();
        }
        const status = store.store('cas', b('c:shared'), b(String(value + 1)), 0, 0, cas);
        if (status === 'stored') break;
        if (status !== 'exists') problem(`cas answered ${status}`);
        bump('cas_lost');
      }
    } else if (r === 2) {
      const token = `${w}.${appended};`;
      appended++;
      for (const key of ['a:shared', `a:${w}`]) if (store.store('append', b(key), b(token), 0, 0, 0) !== 'stored') problem(`append to ${key} failed`);
      for (const key of ['p:shared', `p:${w}`]) if (store.store('prepend', b(key), b(token), 0, 0, 0) !== 'stored') problem(`prepend to ${key} failed`);
    } else {
      // Read the joined values while others write: well formed, own tokens complete and in order.
      for (const key of [`a:${w}`, 'a:shared', `p:${w}`]) {
        store.beginRead();
        let text = '';
        try {
          const ref = store.get(b(key));
          if (ref < 0) problem(`${key} missing`);
          else text = store.itemValue(ref).toString('latin1');
        } finally {
          store.endRead();
        }
        if (!/^(\d+\.\d+;)*$/.test(text)) problem(`${key} holds a torn value: ${text.slice(0, 40)}`);
        if (key !== 'a:shared') {
          const mine = text.split(';').filter((x) => x !== '');
          if (key.startsWith('p:')) mine.reverse();
          if (mine.length !== appended) problem(`${key} has ${mine.length} tokens, ${appended} written`);
          else for (let k = 0; k < mine.length; k++) if (mine[k] !== `${w}.${k}`) problem(`${key} token ${k} is ${mine[k]}`);
        }
      }
    }
  }
  stats.appended = appended;
}

// Start together, so the operations really overlap (thread start-up differs by seconds here).
const READY = 1 + task.workers;
Atomics.add(shared, READY, 1);
for (let n = Atomics.load(shared, READY); n < task.workers; n = Atomics.load(shared, READY)) Atomics.wait(shared, READY, n, 50);
Atomics.notify(shared, READY);
if (task.mode === 'hammer') hammer();
else if (task.mode === 'large') large();
else if (task.mode === 'sets') sets();
else exact();
parentPort!.postMessage({ problems, stats, counters: { ...store.counters } });
