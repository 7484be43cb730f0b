// Request-path cost of the sizing advisor, in one process so the machine's
// load hits every variant alike: the text request path of micro-requests.ts
// (parse, respond, take the reply; 100k keys of 32 B, 100 B values, -m 64)
// against three stores, in interleaved slices:
//
//   off      the plain SegmentStore (what the server runs without -o advisor)
//   inline   -t 1 with -o advisor: the hook and the copies in this thread
//   ring     -t N with -o advisor: the hook pushing into a ring, plus the
//            drain into the copies the housekeeper does (in this thread here,
//            so the CPU counted is all the server spends)
//
// Prints CPU ns per request (median over slices) and on/off ratios with
// their spread. Caveat: the three stores share one JIT, so SegmentStore's
// methods see two receiver classes here even in the 'off' slices; a server
// without -o advisor never does. micro-requests.ts with MICRO_ADVISOR=R
// measures across processes instead (noisier on a shared machine).
//
//   npm run bench:advisor-cost -- [--rate 0.01] [--slices 40] [--slice-ms 150] [--only get10,get1,set100]

import { parseArgs } from 'node:util';
import { createAdvisedStore, LIVE_SAMPLER_SEED, LiveAdvisor } from '../lib/advisor/live-advisor.js';
import { createServerContext } from '../lib/server/server-context.js';
import { createCommandLog } from '../lib/observability/logger.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT, type Settings } from '../lib/cli/settings.js';
import { respondText } from '../lib/respond/respond-text.js';
import type { Session } from '../lib/server/context.js';
import { SegmentStore } from '../segments/index.js';
import { AdvisedStore } from '../segments/advisor/advised-store.js';
import { RingDrain, RingSink, SharedReport, newAdvisorRings } from '../segments/advisor/advisor-ring.js';
import { parseTextRequest } from '../protocol/text/parse.js';
import { DEFAULT_LIMITS } from '../protocol/request.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { SplitMix64 } from './core/splitmix64.js';
import { batchClock } from '../segments/batch-clock.js';
import { fillerValue, keyTable } from './loadgen/keys.js';
import { defaultSegmentSize } from '../segments/store-defaults.js';

const KEY_COUNT = 100_000;
const KEY_SIZE = 32;
const LINES = 4096;

function main(): void {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '0.01' },
      slices: { type: 'string', default: '40' },
      'slice-ms': { type: 'string', default: '150' },
      only: { type: 'string', default: 'get10,get1,set100' },
    },
  });
  const rate = Number(values.rate);
  const settings: Settings = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, maxBytes: 64 * 1024 * 1024 };
  const options = { memoryLimitBytes: settings.maxBytes, itemSizeMax: settings.itemSizeMax };
  const rings = newAdvisorRings(1, rate, LIVE_SAMPLER_SEED);
  const drainer = new LiveAdvisor({
    memoryBytes: settings.maxBytes,
    segmentSize: defaultSegmentSize(settings.maxBytes, settings.itemSizeMax),
    rate,
    seed: LIVE_SAMPLER_SEED,
    evictionPolicy: 'merge',
    mergeSegments: 3,
    clock: batchClock,
  });
  const drain = new RingDrain(rings);
  const variants = [
    { name: 'off', store: new SegmentStore(options) as SegmentStore, after: (): void => {} },
    { name: 'inline', store: createAdvisedStore(options, rate) as SegmentStore, after: (): void => {} },
    {
      name: 'ring',
      store: new AdvisedStore(options, {}, new RingSink(rings.rings[0]!), new SharedReport(rings), { rate, seed: LIVE_SAMPLER_SEED }) as SegmentStore,
      // The housekeeper's work, counted here: drain after every batch.
      after: (): void => {
        drain.drain(drainer);
      },
    },
  ];
  const keys = keyTable(KEY_COUNT, KEY_SIZE);
  const value100 = fillerValue(100);
  const session: Session = { id: 1, authenticated: true, closeAfterWrite: () => {}, replyRoom: Infinity, makeRoom: () => true, resumeAfterDrain: () => {} };
  const contexts = variants.map((v) => {
    for (let i = 0; i < KEY_COUNT; i++) v.store.store('set', keys.subarray(i * KEY_SIZE, (i + 1) * KEY_SIZE), value100, 0, 0, 0);
    v.after();
    return createServerContext({ settings, store: v.store, log: createCommandLog(0), sasl: undefined, connections: () => [], onShutdown: () => {} });
  });
  const rng = new SplitMix64(7);
  const keyAt = (): string => {
    const k = rng.nextBelow(KEY_COUNT);
    return keys.toString('latin1', k * KEY_SIZE, (k + 1) * KEY_SIZE);
  };
  const builders: Record<string, () => Buffer> = {
    get10: () => Buffer.from(`get ${Array.from({ length: 10 }, keyAt).join(' ')}\r\n`, 'latin1'),
    get1: () => Buffer.from(`get ${keyAt()}\r\n`, 'latin1'),
    set100: () => Buffer.concat([Buffer.from(`set ${keyAt()} 0 0 100\r\n`), value100, Buffer.from('\r\n')]),
  };
  const out = new ReplyWriter(16 * 1024);
  let sink = 0;
  const sliceMs = Number(values['slice-ms']);
  for (const name of values.only!.split(',')) {
    const lines = Array.from({ length: LINES }, builders[name]!);
    const run = (v: number, ms: number): number => {
      const ctx = contexts[v]!;
      const after = variants[v]!.after;
      const c0 = process.cpuUsage();
      const stop = performance.now() + ms;
      let n = 0;
      while (performance.now() < stop) {
        for (let j = 0; j < 256; j++) {
          batchClock.hold();
          const r = parseTextRequest(lines[(n + j) & (LINES - 1)]!, 0, DEFAULT_LIMITS);
          if (r.kind !== 'ok') throw new Error(`${name}: parse ${r.kind}`);
          respondText(r.request, ctx, session, out);
          batchClock.release();
          const taken = out.take();
          if (taken !== null) sink += Array.isArray(taken) ? taken.length : taken.length;
        }
        after();
        n += 256;
      }
      const c = process.cpuUsage(c0);
      return ((c.user + c.system) * 1e3) / n;
    };
    for (let v = 0; v < variants.length; v++) run(v, 300);
    const per: number[][] = variants.map(() => []);
    for (let s = 0; s < Number(values.slices); s++) {
      // Rotate the order so no variant always follows the same one.
      for (let k = 0; k < variants.length; k++) {
        const v = (s + k) % variants.length;
        per[v]!.push(run(v, sliceMs));
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratios = (v: number): number[] => per[v]!.map((x, i) => x / per[0]![i]!);
    const q = (xs: number[], f: number): number => [...xs].sort((a, b) => a - b)[Math.floor(f * (xs.length - 1))]!;
    const line = variants
      .map((vv, v) => {
        const base = `${vv.name} ${median(per[v]!).toFixed(0)} ns`;
        if (v === 0) return base;
        const r = ratios(v);
        return `${base} (x${median(r).toFixed(3)}, quartiles ${q(r, 0.25).toFixed(3)}-${q(r, 0.75).toFixed(3)})`;
      })
      .join(', ');
    process.stdout.write(`${name.padEnd(7)} ${line}\n`);
  }
  // The copies alone: CPU per sampled get (all copies hit) and per sampled set, warmed.
  const copies = drainer.advisor;
  const hashes = Uint32Array.from({ length: 1000 }, (_, i) => Math.imul(i + 1, 2654435761) >>> 0);
  for (const h of hashes) copies.set(h, KEY_SIZE, 100, 0);
  const perOp = (n: number, op: (h: number) => void): number => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) op(hashes[i % hashes.length]!);
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1e3) / n;
  };
  const getNs: number[] = [];
  const setNs: number[] = [];
  for (let r = 0; r < 5; r++) {
    getNs.push(perOp(50_000, (h) => copies.get(h, KEY_SIZE, 100, 0)));
    setNs.push(perOp(20_000, (h) => copies.set(h, KEY_SIZE, 100, 0)));
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(
    `copies alone (${copies.copies.length}): ${med(getNs).toFixed(0)} ns per sampled get, ${med(setNs).toFixed(0)} ns per sampled set` +
      ` (x rate ${rate}: ${(med(getNs) * rate).toFixed(0)} / ${(med(setNs) * rate).toFixed(0)} ns per request)\n`,
  );
  const sampled = (variants[1]!.store as AdvisedStore).report.sampledRequests();
  process.stdout.write(`rate ${rate}: inline advisor saw ${sampled} sampled requests; ring dropped ${drain.dropped()}\n`);
  if (sink === -1) process.stdout.write('\n');
}

main();
