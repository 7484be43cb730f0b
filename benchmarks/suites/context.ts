// What every suite gets from run.ts: the servers to compare, the core
// plan, quick or full sizing, and a logger; plus a helper that runs a
// function against a freshly started server and always stops it.

import type { CpuPlan } from '../servers/cpu-plan.js';
import type { ServerSpec } from '../servers/server-specs.js';
import { startServer, type RunningServer } from '../servers/server-process.js';

export interface SuiteContext {
  quick: boolean;
  /** Rounds per throughput scenario (alternating the servers). */
  rounds: number;
  plan: CpuPlan;
  memcached: ServerSpec;
  /** Our server, or undefined when it cannot run (see oursNote). */
  ours: ServerSpec | undefined;
  oursNote: string;
  seed: number;
  log(message: string): void;
  /** Raw per-run results, kept for --json. */
  raw: Record<string, unknown>;
  /** Server pid -> what it ran, for naming --cpu-prof files. */
  serverLabels: Map<number, string>;
}

/** Both specs in the order memcached, ours (ours omitted when absent). */
export function specsOf(ctx: SuiteContext): ServerSpec[] {
  return ctx.ours ? [ctx.memcached, ctx.ours] : [ctx.memcached];
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; note: string };

/** Start `spec` with `memoryMb`, run `fn`, stop the server whatever happens. */
export async function withServer<T>(
  ctx: SuiteContext,
  spec: ServerSpec,
  memoryMb: number,
  label: string,
  fn: (server: RunningServer) => Promise<T>,
): Promise<Outcome<T>> {
  let server: RunningServer;
  try {
    server = await startServer(spec, { memoryMb, core: ctx.plan.serverCore });
    ctx.serverLabels.set(server.pid, `${spec.name} ${label}`);
  } catch (err) {
    ctx.log(`${spec.name}: failed to start: ${(err as Error).message}`);
    return { ok: false, note: 'failed to start' };
  }
  try {
    return { ok: true, value: await fn(server) };
  } catch (err) {
    const crashed = server.alive ? '' : ' (server exited)';
    ctx.log(`${spec.name}: ${(err as Error).message}${crashed}${server.stderr ? `\n  stderr: ${server.stderr.trim().slice(-500)}` : ''}`);
    return { ok: false, note: server.alive ? 'error' : 'crashed' };
  } finally {
    await server.stop();
  }
}

/** Timeout for a worker: the expected duration plus generous slack. */
export function workerTimeout(expectedMs: number): number {
  return expectedMs * 3 + 60_000;
}
