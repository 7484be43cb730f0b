// `grow-a-cache advise TRACE [options]`: the sizing advisor offline. Reads
// a request trace (lib/advisor/trace-reader.ts formats), runs every
// request for a sampled key through miniature copies of the store at each
// candidate size (segments/advisor/), and prints the hit-ratio curve as a
// table and a bar plot with a one-line recommendation. Progress goes to
// stderr every PROGRESS_MS on long traces. A malformed line stops the run
// with its line number (exit 65, EX_DATAERR) unless --skip-malformed.
//
// Look-aside, as the trace implies: a get that misses in a copy is filled
// with the request's value size (the client's set after a miss).

import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { hashBytes } from '../../segments/key-hash.js';
import { defaultSegmentSize } from '../../segments/store-defaults.js';
import { MERGE_SEGMENTS, MAX_MERGE_SEGMENTS, MIN_MERGE_SEGMENTS } from '../../segments/merge-eviction.js';
import { SizingAdvisor, sizesAround } from '../../segments/advisor/sizing-advisor.js';
import type { EvictionPolicy } from '../../segments/types.js';
import { TraceParseError, TraceReader, type TraceFormat } from '../advisor/trace-reader.js';
import { curvePlot, curveTable, recommendation } from '../advisor/curve-report.js';

const MIB = 1048576;
const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_NOINPUT = 66;
const PROGRESS_MS = 2000;
/** The trace's clock starts here (any fixed time well past 30 days, so TTLs stay relative). */
const START_MS = 1_700_000_000_000;
/** Keys are hashed with a fixed seed so a seed gives the same sample on every run. */
const KEY_HASH_SEED = 0x2545f491;
const MAX_ERRORS_SHOWN = 10;

export const ADVISE_USAGE = `Usage: grow-a-cache advise TRACE [options]
Hit ratio per memory size for a request trace, simulated with this server's
own eviction (miniature copies of the store on a sample of the keys).
  -m, --memory-limit=MB   centre of the curve: 1/4x to 4x in 9 steps (default 64)
      --sizes=MB,MB,...   candidate sizes instead
  -r, --rate=R            share of keys sampled, 0 < R <= 1 (default 0.01)
      --seed=N            sampler seed (default 1)
      --format=F          twitter | simple | auto (default auto: 7 fields = twitter)
      --ttl=S             TTL of a fill after a get miss (default 0: the trace's reads carry none)
      --eviction=P        merge | fifo | random (default merge)
      --merge-segments=N  as the server's -o merge_segments (default ${MERGE_SEGMENTS})
  -I, --max-item-size=MB  as the server's -I, for the segment size (default 1)
      --skip-malformed    skip malformed lines (counted) instead of stopping
      --quiet             no progress on stderr
Trace formats: twitter = timestamp,key,key size,value size,client id,operation,TTL;
simple = op,key[,value size[,ttl[,timestamp]]].
`;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not '${text}'`);
  return n;
}

/** Run `advise` with its arguments (after the word "advise"); resolves to the exit code. */
export async function runAdvise(argv: string[], io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'memory-limit': { type: 'string', short: 'm' },
        sizes: { type: 'string' },
        rate: { type: 'string', short: 'r' },
        seed: { type: 'string' },
        format: { type: 'string' },
        ttl: { type: 'string' },
        eviction: { type: 'string' },
        'merge-segments': { type: 'string' },
        'max-item-size': { type: 'string', short: 'I' },
        'skip-malformed': { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr(`advise: ${(err as Error).message}\n${ADVISE_USAGE}`);
    return EX_USAGE;
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(ADVISE_USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    io.stderr(`advise: one TRACE file expected\n${ADVISE_USAGE}`);
    return EX_USAGE;
  }
  const file = parsed.positionals[0]!;
  let sizes: number[];
  let rate: number;
  let segmentSize: number;
  let format: TraceFormat;
  let policy: EvictionPolicy;
  let mergeSegments: number;
  let seed: number;
  let fillTtl: number;
  try {
    const memory = positive(v['memory-limit'], '--memory-limit', 64) * MIB;
    sizes = v.sizes !== undefined ? v.sizes.split(',').map((s) => Math.round(positive(s, '--sizes', 1) * MIB)) : sizesAround(memory);
    rate = positive(v.rate, '--rate', 0.01);
    if (rate > 1 || rate < 2 ** -24) throw new Error(`--rate must be in (0, 1], not '${v.rate}'`);
    segmentSize = defaultSegmentSize(Math.min(...sizes), positive(v['max-item-size'], '--max-item-size', 1) * MIB);
    format = (v.format ?? 'auto') as TraceFormat;
    if (!['twitter', 'simple', 'auto'].includes(format)) throw new Error(`--format must be twitter, simple or auto, not '${v.format}'`);
    policy = (v.eviction ?? 'merge') as EvictionPolicy;
    if (!['merge', 'fifo', 'random'].includes(policy)) throw new Error(`--eviction must be merge, fifo or random, not '${v.eviction}'`);
    mergeSegments = Math.round(positive(v['merge-segments'], '--merge-segments', MERGE_SEGMENTS));
    if (mergeSegments < MIN_MERGE_SEGMENTS || mergeSegments > MAX_MERGE_SEGMENTS) throw new Error(`--merge-segments must be ${MIN_MERGE_SEGMENTS} to ${MAX_MERGE_SEGMENTS}`);
    seed = Math.round(positive(v.seed, '--seed', 1)) >>> 0;
    fillTtl = v.ttl === undefined ? 0 : Math.round(positive(v.ttl, '--ttl', 0));
  } catch (err) {
    io.stderr(`advise: ${(err as Error).message}\n`);
    return EX_USAGE;
  }
  let totalBytes: number;
  try {
    totalBytes = statSync(file).size;
  } catch (err) {
    io.stderr(`advise: cannot read ${file}: ${(err as Error).message}\n`);
    return EX_NOINPUT;
  }

  let nowMs = START_MS;
  const advisor = new SizingAdvisor({ sizes, segmentSize, rate, seed, evictionPolicy: policy, mergeSegments, clock: { nowMs: () => nowMs } });
  const reader = new TraceReader(format);
  const keyBytes = Buffer.alloc(1024);
  let lastSecond = -1;
  let malformed = 0;
  let requests = 0;
  let readBytes = 0;
  let lastProgress = Date.now();
  const started = lastProgress;
  const input = createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      readBytes += text.length + 1;
      let ok: boolean;
      try {
        ok = reader.parse(text);
      } catch (err) {
        if (!(err instanceof TraceParseError)) throw err;
        if (!v['skip-malformed']) {
          io.stderr(`advise: ${file}:${err.lineNumber}: ${err.reason}\n`);
          return EX_DATAERR;
        }
        if (++malformed <= MAX_ERRORS_SHOWN) io.stderr(`advise: ${file}:${err.lineNumber}: ${err.reason} (skipped)\n`);
        continue;
      }
      if (!ok) continue;
      const line = reader.line;
      requests++;
      if (line.time >= 0 && line.time !== lastSecond) {
        nowMs = START_MS + line.time * 1000;
        if (lastSecond >= 0) advisor.expireNow();
        lastSecond = line.time;
      }
      if (line.op === 'get') advisor.countGet();
      const n = keyBytes.write(line.key, 0, 'latin1');
      const hash = hashBytes(keyBytes, 0, n, KEY_HASH_SEED);
      if (advisor.offer(hash)) {
        if (line.op === 'get') advisor.get(hash, line.keySize, line.valueSize, fillTtl);
        else if (line.op === 'set') advisor.set(hash, line.keySize, line.valueSize, line.ttl);
        else if (line.op === 'delete') advisor.delete(hash);
        else if (line.op === 'touch') advisor.touch(hash, line.ttl);
      }
      if ((requests & 0xffff) === 0 && !v.quiet && Date.now() - lastProgress >= PROGRESS_MS) {
        lastProgress = Date.now();
        const secs = (lastProgress - started) / 1000;
        io.stderr(`advise: ${requests} requests (${((100 * readBytes) / Math.max(1, totalBytes)).toFixed(1)}%), ${(requests / secs / 1000).toFixed(0)}k/s\n`);
      }
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (malformed > MAX_ERRORS_SHOWN) io.stderr(`advise: ${malformed} malformed lines skipped\n`);
  const curve = advisor.curve();
  io.stdout(
    `${file}: ${requests} requests, ${advisor.allGets} gets, ${advisor.sampledRequests} sampled at rate ${rate} ` +
      `(copies: ${policy} eviction, ${advisor.copySegmentSize()}-byte segments, ${(advisor.memoryBytes() / MIB).toFixed(1)} MiB)\n`,
  );
  io.stdout(curveTable(curve));
  io.stdout(curvePlot(curve));
  io.stdout(recommendation(curve));
  if (curve.some((p) => p.lowSample)) {
    io.stdout(`note: copies holding fewer than a few thousand items are noise; raise --rate or use a longer trace\n`);
  }
  return 0;
}
