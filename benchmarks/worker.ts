// Entry of the load-generating child process: `node worker.js <task> <json>`.
// The harness runs every client-side workload here, pinned with taskset to
// another core than the server, and reads one JSON result line from stdout.
// Progress and errors go to stderr.

import { runLoad } from './loadgen/load-engine.js';
import { runFill } from './memory/fill-verify.js';
import { runExpiry } from './expiry/expiry-run.js';
import { runReplay } from './hitratio/replayer.js';

const tasks: Record<string, (config: never) => Promise<unknown>> = {
  load: runLoad,
  fill: runFill,
  expiry: runExpiry,
  replay: runReplay,
};

async function main(): Promise<void> {
  const [task, json] = process.argv.slice(2);
  const run = task ? tasks[task] : undefined;
  if (!run || json === undefined) {
    process.stderr.write(`usage: worker.js <${Object.keys(tasks).join('|')}> '<json config>'\n`);
    process.exitCode = 2;
    return;
  }
  const result = await run(JSON.parse(json) as never);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  // Sockets or timers a task forgot must not keep the child alive.
  () => process.exit(),
  (err: unknown) => {
    process.stderr.write(`worker failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
