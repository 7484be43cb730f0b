// Micro-benchmark of the in-process request path, no sockets: parse a text
// request, run it through the text responder against a 64 MiB store, take
// the reply bytes. Separates the JavaScript cost per request (what we can
// tune) from the syscall cost the side-by-side benchmark also measures.
// Loads like the throughput scenarios: 100k keys of 32 B, 100 B values.
//
//   npm run bench:micro -- [--seconds 2] [--only get10,get1,set100,set1k]
//   env: MICRO_KEYS (key count, default 100000), MICRO_TYPICAL_ITEM (hash presizing, StoreTuning.typicalItemBytes),
//        MICRO_ADVISOR=R (the sizing advisor on at rate R, in this thread as with -t 1: -o advisor_rate=R)
//
// Prints CPU ns per request (median of 5 runs after a warm-up).

import { parseArgs } from 'node:util';
import { createAdvisedStore } from '../lib/advisor/live-advisor.js';
import { createServerContext } from '../lib/server/server-context.js';
import { createCommandLog } from '../lib/observability/logger.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT, type Settings } from '../lib/cli/settings.js';
import { respondText } from '../lib/respond/respond-text.js';
import type { Session } from '../lib/server/context.js';
import { SegmentStore } from '../segments/index.js';
import { parseTextRequest } from '../protocol/text/parse.js';
import { DEFAULT_LIMITS } from '../protocol/request.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { SplitMix64 } from './core/splitmix64.js';
import { batchClock } from '../segments/batch-clock.js';
import { fillerValue, keyTable } from './loadgen/keys.js';

const KEY_COUNT = Number(process.env.MICRO_KEYS ?? 100_000);
const KEY_SIZE = 32;
/** Distinct request buffers cycled through (more than fit in cache). */
const LINES = 4096;

interface Case {
  name: string;
  /** Build request `i` (a whole buffer holding one request). */
  build(i: number): Buffer;
}

function main(): void {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '1' }, only: { type: 'string' } } });
  const seconds = Number(values.seconds);
  const settings: Settings = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, maxBytes: 64 * 1024 * 1024 };
  const typical = process.env.MICRO_TYPICAL_ITEM;
  const advisorRate = process.env.MICRO_ADVISOR;
  const store =
    advisorRate !== undefined
      ? createAdvisedStore({ memoryLimitBytes: settings.maxBytes, itemSizeMax: settings.itemSizeMax }, Number(advisorRate))
      : new SegmentStore(
          { memoryLimitBytes: settings.maxBytes, itemSizeMax: settings.itemSizeMax },
          {
            ...(typical === undefined ? {} : { typicalItemBytes: Number(typical) }),
            // MICRO_LOCKED_READS=1: gets under the shared lock (the -t 1 single loop's mode).
            ...(process.env.MICRO_LOCKED_READS === undefined ? {} : { optimisticReads: false }),
          },
        );
  const ctx = createServerContext({
    settings,
    store,
    log: createCommandLog(0),
    sasl: undefined,
    connections: () => [],
    onShutdown: () => {},
  });
  const session: Session = { id: 1, authenticated: true, closeAfterWrite: () => {}, replyRoom: Infinity, makeRoom: () => true, resumeAfterDrain: () => {} };
  const keys = keyTable(KEY_COUNT, KEY_SIZE);
  const value100 = fillerValue(100);
  const value1k = fillerValue(1024);
  for (let i = 0; i < KEY_COUNT; i++) store.store('set', keys.subarray(i * KEY_SIZE, (i + 1) * KEY_SIZE), value100, 0, 0, 0);

  const rng = new SplitMix64(7);
  const keyAt = (): string => {
    const k = rng.nextBelow(KEY_COUNT);
    return keys.toString('latin1', k * KEY_SIZE, (k + 1) * KEY_SIZE);
  };
  const cases: Case[] = [
    { name: 'get10', build: () => Buffer.from(`get ${Array.from({ length: 10 }, keyAt).join(' ')}\r\n`, 'latin1') },
    { name: 'get1', build: () => Buffer.from(`get ${keyAt()}\r\n`, 'latin1') },
    { name: 'set100', build: () => Buffer.concat([Buffer.from(`set ${keyAt()} 0 0 100\r\n`), value100, Buffer.from('\r\n')]) },
    { name: 'set1k', build: () => Buffer.concat([Buffer.from(`set ${keyAt()} 0 0 1024\r\n`), value1k, Buffer.from('\r\n')]) },
  ];
  const only = values.only?.split(',');
  const out = new ReplyWriter(16 * 1024);
  let sink = 0;
  for (const c of cases) {
    if (only && !only.includes(c.name)) continue;
    const lines = Array.from({ length: LINES }, (_, i) => c.build(i));
    const runFor = (ms: number): number => {
      const stop = performance.now() + ms;
      let n = 0;
      while (performance.now() < stop) {
        for (let j = 0; j < 256; j++) {
          const buf = lines[(n + j) & (LINES - 1)]!;
          // As the connection does: one clock reading per batch (here, per request).
          batchClock.hold();
          const r = parseTextRequest(buf, 0, DEFAULT_LIMITS);
          if (r.kind !== 'ok') throw new Error(`${c.name}: parse ${r.kind}`);
          respondText(r.request, ctx, session, out);
          batchClock.release();
          const taken = out.take();
          if (taken !== null) sink += Array.isArray(taken) ? taken.length : taken.length;
        }
        n += 256;
      }
      return n;
    };
    runFor(300);
    const results: number[] = [];
    for (let r = 0; r < 5; r++) {
      // CPU time, not wall time: on a shared machine the process is often
      // descheduled, which says nothing about the code.
      const c0 = process.cpuUsage();
      const n = runFor((seconds * 1000) / 5);
      const c = process.cpuUsage(c0);
      results.push(((c.user + c.system) * 1e3) / n);
    }
    results.sort((a, b) => a - b);
    process.stdout.write(`${c.name.padEnd(8)} ${results[2]!.toFixed(0)} ns/request (runs ${results.map((x) => x.toFixed(0)).join(' ')})\n`);
  }
  if (sink === -1) process.stdout.write('\n');
}

main();
