// Shared shape of the suites that run once per server (memory, expiry,
// hit ratio): run a function against each freshly started server, keep the
// results or the reason there is none, and build table rows from them.

import { ratio } from '../core/summary.js';
import { missingCell, type Cell, type Row, type Target, type Unit } from '../harness/rows.js';
import type { RunningServer } from '../servers/server-process.js';
import { specsOf, withServer, type SuiteContext } from './context.js';

/** One result per server, or the note shown instead. */
export interface PerServer<T> {
  memcached: T | undefined;
  ours: T | undefined;
  memcachedNote: string;
  oursNote: string;
}

/** Run `fn` against memcached, then ours, each started fresh with `memoryMb`. */
export async function runOncePerServer<T>(
  ctx: SuiteContext,
  memoryMb: number,
  bench: string,
  fn: (server: RunningServer) => Promise<T>,
  describe: (name: string, result: T) => string,
): Promise<PerServer<T>> {
  const results = new Map<string, T>();
  const notes = new Map<string, string>();
  for (const spec of specsOf(ctx)) {
    const outcome = await withServer(ctx, spec, memoryMb, bench, fn);
    if (outcome.ok) {
      results.set(spec.name, outcome.value);
      ctx.log(`  ${describe(spec.name, outcome.value)}`);
    } else notes.set(spec.name, outcome.note);
  }
  return {
    memcached: results.get(ctx.memcached.name),
    ours: ctx.ours ? results.get(ctx.ours.name) : undefined,
    memcachedNote: notes.get(ctx.memcached.name) ?? 'no result',
    oursNote: ctx.ours ? (notes.get(ctx.ours.name) ?? 'no result') : ctx.oursNote,
  };
}

export interface RowOptions {
  /** Shown when the picked value is NaN (e.g. "> 6 s": not within the window). */
  nanNote?: string;
  /** Leave the ratio out (for figures where a ratio means nothing). */
  noRatio?: boolean;
}

export type RowMaker<T> = (metric: string, unit: Unit, pick: (r: T) => number, target: Target, options?: RowOptions) => Row;

/** A row factory for one benchmark's per-server results. */
export function rowMaker<T>(bench: string, runs: PerServer<T>): RowMaker<T> {
  return (metric, unit, pick, target, options = {}) => {
    const cell = (r: T | undefined, note: string): Cell => {
      if (r === undefined) return missingCell(note);
      const value = pick(r);
      return Number.isNaN(value) && options.nanNote !== undefined ? { value, note: options.nanNote } : { value };
    };
    const { memcached: mc, ours } = runs;
    return {
      bench,
      metric,
      unit,
      memcached: cell(mc, runs.memcachedNote),
      ours: cell(ours, runs.oursNote),
      ratio: mc !== undefined && ours !== undefined && !options.noRatio ? ratio(pick(ours), pick(mc)) : NaN,
      target,
    };
  };
}
