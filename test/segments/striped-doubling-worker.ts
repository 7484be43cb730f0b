// Worker thread for striped-doubling.test.ts: a writer inserts new keys
// (so the hash table doubles again and again) and now and then re-sets a
// hot key, all plain sets (own segments, links by stripe when confined); a
// reader makes optimistic gets (the text responder's read attempts) of keys
// known to be present, until every writer is done, and checks each value
// on the spot. Reports { problems, stats } to the parent.
//
// Values: a new key's value is fixed by its name (newValue), so a reader
// knows it exactly; a hot key's is H|<key>|<writer>|<seq>|<pad>|<checksum>,
// any version of it right (a read may see the one before a racing set).

import { parentPort, workerData } from 'node:worker_threads';
import { attachStore, type SharedStoreHandle } from '../../segments/shared-store.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';
import { writeGetHit } from '../../lib/respond/item-output.js';
import { prng } from '../prng.js';

export interface DoublingTask {
  handle: SharedStoreHandle;
  slot: number;
  role: 'writer' | 'reader';
  /** Writer or reader number, from 0. */
  id: number;
  writers: number;
  /** New keys each writer inserts. */
  inserts: number;
  /** Hot keys h:0 .. h:hot-1, set before the workers start. */
  hot: number;
  readers: number;
  /** Int32: [0] writers done; [1] readers started; [2 + w] new keys writer w has stored (n:w:0 .. n:w:count-1 are present). */
  cells: SharedArrayBuffer;
}

export interface DoublingReport {
  problems: string[];
  stats: Record<string, number>;
  /** Writers: striped links counted between samples of the table's power, by power (approximate at the edges). */
  stripedByPower: Record<number, number>;
}

/** Sets between a writer's samples of the table's power (shape() takes the lock). */
const SAMPLE_EVERY = 64;

export function checksum(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The one value new key `key` (the i-th of its writer) ever has. */
export function newValue(key: string, i: number): string {
  return `N|${key}|${'x'.repeat((i * 37) % 150)}|${checksum(key)}`;
}

/** A hot key's value: any writer, any sequence, checksummed. */
export function hotValue(key: string, writer: number, seq: number, pad: number): string {
  const body = `H|${key}|${writer}|${seq}|${'y'.repeat(pad)}`;
  return `${body}|${checksum(body)}`;
}

function run(task: DoublingTask): DoublingReport {
  const cells = new Int32Array(task.cells);
  const clock = { nowMs: (): number => 1_700_000_000_000 };
  const store = attachStore(task.handle, { threadSlot: task.slot, clock });
  const problems: string[] = [];
  const stats: Record<string, number> = {};
  const stripedByPower: Record<number, number> = {};
  const rand = prng(7000 + task.slot);
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  const bump = (name: string): void => {
    stats[name] = (stats[name] ?? 0) + 1;
  };
  const problem = (text: string): void => {
    if (problems.length < 20) problems.push(`${task.role} ${task.id}: ${text}`);
  };

  if (task.role === 'writer') {
    // Start with the readers, so their gets overlap the doublings (a loaded machine may start threads late).
    while (Atomics.load(cells, 1) < task.readers) Atomics.wait(cells, 1, Atomics.load(cells, 1), 10);
    let seq = 0;
    let striped = store.stripedLinks;
    for (let i = 0; i < task.inserts; i++) {
      const key = `n:${task.id}:${i}`;
      const status = store.store('set', b(key), b(newValue(key, i)), 0, 0, 0);
      if (status !== 'stored') problem(`set ${key}: ${status}`);
      Atomics.store(cells, 2 + task.id, i + 1);
      if (rand() < 0.2) {
        const hot = `h:${Math.floor(rand() * task.hot)}`;
        bump(store.store('set', b(hot), b(hotValue(hot, task.id, seq++, Math.floor(rand() * 200))), 0, 0, 0));
      }
      if (i % SAMPLE_EVERY === SAMPLE_EVERY - 1 || i === task.inserts - 1) {
        const power = store.shape().hashPower;
        stripedByPower[power] = (stripedByPower[power] ?? 0) + store.stripedLinks - striped;
        striped = store.stripedLinks;
      }
    }
    stats.ownedSets = store.ownedSets;
    stats.stripedLinks = store.stripedLinks;
    Atomics.add(cells, 0, 1);
    return { problems, stats, stripedByPower };
  }

  const reply = new ReplyWriter(4096);
  const index = store.itemSpace.index;
  Atomics.add(cells, 1, 1);
  Atomics.notify(cells, 1);
  while (Atomics.load(cells, 0) < task.writers) {
    let key: string;
    let expected: string | null = null;
    if (rand() < 0.5) {
      key = `h:${Math.floor(rand() * task.hot)}`;
    } else {
      const w = Math.floor(rand() * task.writers);
      const stored = Atomics.load(cells, 2 + w);
      if (stored === 0) continue;
      // Half of them among the newest: keys just linked, in buckets a migration may be moving.
      const i = rand() < 0.5 ? stored - 1 - Math.floor(rand() * Math.min(stored, 64)) : Math.floor(rand() * stored);
      key = `n:${w}:${i}`;
      expected = newValue(key, i);
    }
    bump('reads');
    // A plain read of a control word: approximate, for the report only.
    if (index.isExpanding) bump('readsWhileDoubling');
    const length = writeGetHit(reply, store, b(key), false);
    const taken = reply.take();
    const bytes = taken === null ? Buffer.alloc(0) : Array.isArray(taken) ? Buffer.concat(taken) : taken;
    reply.recycle();
    if (length < 0) {
      problem(`a miss for ${key}, which is present`);
      continue;
    }
    const head = `VALUE ${key} 0 ${length}\r\n`;
    const all = bytes.toString('latin1');
    if (!all.startsWith(head) || all.length !== head.length + length + 2 || !all.endsWith('\r\n')) {
      problem(`malformed reply for ${key}: ${all.slice(0, 60)}`);
      continue;
    }
    const text = all.slice(head.length, head.length + length);
    if (expected !== null) {
      if (text !== expected) problem(`wrong value for ${key}: ${text.slice(0, 60)}`);
      continue;
    }
    const cut = text.lastIndexOf('|');
    const body = text.slice(0, cut);
    if (String(checksum(body)) !== text.slice(cut + 1) || body.split('|')[1] !== key) problem(`wrong or torn value for ${key}: ${text.slice(0, 60)}`);
  }
  stats.readAttempts = store.readAttempts;
  stats.readVoid = store.readVoid;
  return { problems, stats, stripedByPower };
}

if (parentPort !== null && workerData !== null) parentPort.postMessage(run(workerData as DoublingTask));
