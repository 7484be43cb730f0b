// Micro-benchmark of request parsing: our text parser (protocol/text/parse.ts)
// against memcache-parser 1.0.1 on the same bytes, in one run, as a ratio.
//
// Workloads (pelikan's request_parsing bench, made into a stream): many
// `get <key>` requests, and `set <key> 0 0 100` with 100-byte values, cut
// into 16 KiB reads at arbitrary points, as a socket delivers them. Each
// side consumes the reads as a server would: ours parses in place and keeps
// the unparsed tail for the next read; memcache-parser gets `onData(chunk)`
// with a subclass that accepts get and set (silent logger). Rounds of the
// two alternate; the median round is reported.
//
//   npm run bench:parse [-- --requests 200000 --rounds 9 --json]

import { createRequire } from 'node:module';
import { DEFAULT_LIMITS } from '../protocol/request.js';
import { parseTextRequest } from '../protocol/text/parse.js';

const require = createRequire(import.meta.url);

/** The subset of memcache-parser 1.0.1's class this benchmark uses. */
interface MemcacheParserBase {
  onData(data: Buffer): void;
  initiatePending(cmdTokens: string[], length: number): void;
}
type MemcacheParserClass = new (logger?: Record<string, (msg: string) => void>) => MemcacheParserBase;

const CHUNK_BYTES = 16 * 1024;
const VALUE_BYTES = 100;

interface Options {
  requests: number;
  rounds: number;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { requests: 200_000, rounds: 9, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--requests') options.requests = Number(argv[++i]);
    else if (arg === '--rounds') options.rounds = Number(argv[++i]);
    else if (arg === '--json') options.json = true;
    else throw new Error(`unknown argument ${String(arg)}`);
  }
  if (!(options.requests > 0 && options.rounds > 0)) throw new Error('--requests and --rounds must be positive');
  return options;
}

/** `count` requests made by `make`, concatenated and cut into 16 KiB reads. */
function streamOf(count: number, make: (i: number) => string): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) parts.push(Buffer.from(make(i), 'latin1'));
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK_BYTES) chunks.push(Buffer.from(all.subarray(i, i + CHUNK_BYTES)));
  return chunks;
}

const key = (i: number) => `key:${String(i % 100000).padStart(6, '0')}`;
const value = 'v'.repeat(VALUE_BYTES);

/** Ours: parse each read in place; carry the incomplete tail into the next one. */
function runOurs(chunks: Buffer[]): number {
  let count = 0;
  let tail: Buffer | null = null;
  for (const chunk of chunks) {
    const buf: Buffer = tail === null ? chunk : Buffer.concat([tail, chunk]);
    let offset = 0;
    for (;;) {
      const r = parseTextRequest(buf, offset, DEFAULT_LIMITS);
      if (r.kind !== 'ok') {
        if (r.kind !== 'incomplete') throw new Error(`unexpected ${r.kind}`);
        break;
      }
      offset += r.consumed;
      count++;
    }
    tail = offset < buf.length ? buf.subarray(offset) : null;
  }
  return count;
}

const silent = { error: () => {}, debug: () => {}, info: () => {}, warn: () => {} };

function loadMemcacheParser(): MemcacheParserClass {
  const mod = require('memcache-parser') as { MemcacheParser: MemcacheParserClass };
  return mod.MemcacheParser;
}

/** memcache-parser as a server would use it: accept get, read set's data block. */
function makeTheirs(Base: MemcacheParserClass): (chunks: Buffer[]) => number {
  class CountingParser extends Base {
    count = 0;
    processCmd(tokens: string[]): number {
      if (tokens[0] === 'get') {
        this.count++;
        return 1;
      }
      if (tokens[0] === 'set') {
        this.initiatePending(tokens, Number(tokens[4]));
        return 1;
      }
      return 0;
    }
    receiveResult(): void {
      this.count++;
    }
  }
  return (chunks) => {
    const parser = new CountingParser(silent);
    for (const chunk of chunks) parser.onData(chunk);
    return parser.count;
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Ops/s of each runner, rounds alternating, median of rounds. */
function measure(
  runners: Record<string, (chunks: Buffer[]) => number>,
  chunks: Buffer[],
  expected: number,
  rounds: number,
): Record<string, number> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(runners)) {
    samples[name] = [];
    // Warm-up, and a check that every request was seen.
    const seen = runners[name]!(chunks);
    if (seen !== expected) throw new Error(`${name} parsed ${seen} of ${expected} requests`);
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(runners)) {
      const start = process.hrtime.bigint();
      run(chunks);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      samples[name]!.push(expected / seconds);
    }
  }
  const result: Record<string, number> = {};
  for (const [name, values] of Object.entries(samples)) result[name] = median(values);
  return result;
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const theirs = makeTheirs(loadMemcacheParser());
  const runners = { ours: runOurs, 'memcache-parser': theirs };
  const workloads = [
    { name: 'get <key>', chunks: streamOf(options.requests, (i) => `get ${key(i)}\r\n`) },
    { name: `set <key> 0 0 ${VALUE_BYTES}`, chunks: streamOf(options.requests, (i) => `set ${key(i)} 0 0 ${VALUE_BYTES}\r\n${value}\r\n`) },
  ];
  const rows = workloads.map((w) => {
    const ops = measure(runners, w.chunks, options.requests, options.rounds);
    return { workload: w.name, ours: ops.ours!, memcacheParser: ops['memcache-parser']!, ratio: ops.ours! / ops['memcache-parser']! };
  });
  if (options.json) {
    console.log(JSON.stringify({ node: process.version, chunkBytes: CHUNK_BYTES, ...options, rows }));
    return;
  }
  console.log(`parse-bench: ${options.requests} requests per workload, ${CHUNK_BYTES}-byte reads, median of ${options.rounds} rounds, node ${process.version}`);
  console.log('workload               ours (ops/s)   memcache-parser (ops/s)   ours / memcache-parser');
  for (const r of rows) {
    console.log(
      `${r.workload.padEnd(22)} ${fmt(r.ours).padStart(13)}   ${fmt(r.memcacheParser).padStart(23)}   ${r.ratio.toFixed(2).padStart(22)}x`,
    );
  }
}

function fmt(opsPerSecond: number): string {
  return `${(opsPerSecond / 1e6).toFixed(2)} M`;
}

main();
