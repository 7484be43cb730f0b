// Parser mode driver: generate cases and check every parser on them
// (parser-check.ts). Text-family streams also go through the -Y
// authentication parser, which sees the same untrusted bytes first.

import type { ParserLimits } from '../protocol/request.js';
import { generateCase } from './cases.js';
import { errorSignature, FailureLog } from './failures.js';
import { checkStream, PARSERS, parserFor } from './parser-check.js';

export interface ParserFuzzOptions {
  seed: number;
  firstCase?: number;
  maxCases: number;
  /** Stop at this Date.now() even if cases remain. */
  deadlineMs?: number;
  maxValueBytes: number;
}

export interface ParserFuzzReport {
  cases: number;
  bytes: number;
  /** Parser calls that threw. */
  crashes: number;
  failures: FailureLog;
  elapsedMs: number;
}

export function runParserFuzz(opts: ParserFuzzOptions): ParserFuzzReport {
  const started = Date.now();
  const limits: ParserLimits = { maxValueBytes: opts.maxValueBytes, maxKeyBytes: 250 };
  const failures = new FailureLog();
  const report: ParserFuzzReport = { cases: 0, bytes: 0, crashes: 0, failures, elapsedMs: 0 };
  const first = opts.firstCase ?? 0;
  for (let index = first; index < first + opts.maxCases; index++) {
    // Checking the clock costs little next to a case; every 64 is plenty.
    if (opts.deadlineMs !== undefined && (index & 63) === 0 && Date.now() >= opts.deadlineMs) break;
    const { bytes } = generateCase(opts.seed, index, { maxValueBytes: opts.maxValueBytes });
    report.cases++;
    report.bytes += bytes.length;
    const kinds = parserFor(bytes) === 'binary' ? (['binary'] as const) : (['text', 'auth'] as const);
    for (const kind of kinds) {
      try {
        const bad = checkStream(PARSERS[kind], kind, bytes, limits);
        if (bad !== null) failures.record(`parser ${bad.what}`, opts.seed, index, `at offset ${bad.at}`, bytes);
      } catch (err) {
        report.crashes++;
        failures.record(`parser ${kind} threw ${errorSignature(err)}`, opts.seed, index, String(err), bytes);
      }
    }
  }
  report.elapsedMs = Date.now() - started;
  return report;
}
