// `npm run fuzz -- --seconds N [--seed S] [--mode parser|live|both]
//                 [--connections C] [--port P]`
//
// Runs the parser fuzzer and then the live fuzzer for as long as asked and
// prints iterations, crashes and unique failures (grouped by signature,
// with the seed and case number to replay). Live mode starts our server
// (dist/lib/cli/main.js) as a child process, restarts it if it dies (each death
// is a crash), or targets --port on 127.0.0.1 instead. Exits 1 on any
// failure.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FailureLog } from './failures.js';
import type { FailureExample } from './failures.js';
import { runLiveFuzz } from './live.js';
import type { LiveReport, LiveTarget } from './live.js';
import { runParserFuzz } from './parser-fuzz.js';

/** The server's -I during live fuzzing: small, so values near and over it are cheap. */
const FUZZ_ITEM_MAX = 64 * 1024;
/** Part of the time the parser fuzzer gets when both modes run. */
const PARSER_SHARE = 0.3;
/** Stderr kept from the child server, for crash signatures. */
const STDERR_TAIL = 64 * 1024;

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'cli', 'main.js');

interface ChildServer {
  target: LiveTarget;
  stderrTail(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Start our server as a child process on an ephemeral port. */
function startChild(): Promise<ChildServer> {
  const args = [CLI, '-p', '-1', '-l', '127.0.0.1', '-v', '-m', '64', '-I', `${FUZZ_ITEM_MAX / 1024}k`, '-F', '-M', '-c', '4096'];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  let alive = true;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      alive = false;
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    let port = 0;
    child.stderr?.on('data', (d: Buffer) => {
      tail = (tail + d.toString('latin1')).slice(-STDERR_TAIL);
      const m = port === 0 ? /listening on 127\.0\.0\.1:(\d+)/.exec(tail) : null;
      if (m) {
        port = Number(m[1]);
        resolve({
          target: { host: '127.0.0.1', port, alive: () => alive },
          stderrTail: () => tail,
          exited,
          stop: async () => {
            if (alive) child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    void exited.then(() => {
      if (port === 0) reject(new Error(`server exited before listening: ${tail}`));
    });
  });
}

/** A crash's signature: the first error line of the child's stderr and its first frame. */
function crashSignature(stderr: string): string {
  const lines = stderr.split('\n');
  const i = lines.findIndex((l) => /^\s*(\w*Error|RangeError|TypeError|AssertionError)\b|FATAL|Uncaught/.test(l));
  if (i < 0) return 'server exited (no error on stderr)';
  const frame = lines.slice(i + 1).find((l) => l.trim().startsWith('at ')) ?? '';
  return `server crashed: ${(lines[i] ?? '').trim().replace(/\d+/g, 'N').slice(0, 120)} ${frame.trim().replace(/:\d+:\d+\)?$/, '')}`;
}

function rate(n: number, ms: number): string {
  return ms > 0 ? ((n * 1000) / ms).toFixed(0) : '-';
}

function printFailures(examples: FailureExample[]): void {
  if (examples.length === 0) return;
  console.log(`\nunique failures: ${examples.length}`);
  for (const f of examples) {
    console.log(`- ${f.signature}  (x${f.count})`);
    console.log(`  replay: --seed ${f.seed}, case ${f.caseIndex}; ${f.detail.slice(0, 300)}`);
    if (f.inputBase64 !== '') console.log(`  input (base64, first 4 KB): ${f.inputBase64.slice(0, 400)}${f.inputBase64.length > 400 ? '...' : ''}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '30' },
      seed: { type: 'string' },
      mode: { type: 'string', default: 'both' },
      connections: { type: 'string', default: '32' },
      port: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  const mode = values.mode;
  const connections = Math.max(1, Number(values.connections));
  if (!(seconds > 0) || !['parser', 'live', 'both'].includes(mode ?? '')) {
    console.error('usage: fuzz --seconds N [--seed S] [--mode parser|live|both] [--connections C] [--port P]');
    process.exitCode = 64;
    return;
  }
  console.log(`fuzz: seed ${seed}, ${seconds} s, mode ${mode}`);
  const start = Date.now();
  const end = start + seconds * 1000;
  let failed = false;

  if (mode !== 'live') {
    const parserEnd = mode === 'both' ? start + seconds * 1000 * PARSER_SHARE : end;
    const r = runParserFuzz({ seed, maxCases: Number.MAX_SAFE_INTEGER, deadlineMs: parserEnd, maxValueBytes: FUZZ_ITEM_MAX });
    console.log(
      `parser: ${r.cases} iterations (${rate(r.cases, r.elapsedMs)}/s, ${(r.bytes / 1e6).toFixed(1)} MB) in ${(r.elapsedMs / 1000).toFixed(1)} s; ` +
        `crashes ${r.crashes}, failures ${r.failures.total}, unique ${r.failures.unique.length}`,
    );
    printFailures(r.failures.unique);
    failed ||= r.failures.total > 0;
  }

  if (mode !== 'parser') {
    const all = new FailureLog();
    const totals = { cases: 0, bytes: 0, probes: 0, closes: 0, conns: 0, crashes: 0, sentinelChecks: 0, sentinelOk: 0 };
    let firstCase = 0;
    const liveStart = Date.now();
    while (Date.now() < end) {
      let server: ChildServer | undefined;
      let target: LiveTarget;
      if (values.port !== undefined) {
        target = { host: '127.0.0.1', port: Number(values.port), alive: () => true };
      } else {
        server = await startChild();
        target = server.target;
      }
      const report: LiveReport = await runLiveFuzz(target, {
        seed,
        connections,
        firstCase,
        maxCases: Number.MAX_SAFE_INTEGER - firstCase,
        deadlineMs: end,
        maxValueBytes: FUZZ_ITEM_MAX,
      });
      const sessionFirst = firstCase;
      firstCase += report.cases + connections;
      totals.cases += report.cases;
      totals.bytes += report.bytesSent;
      totals.probes += report.probesAnswered;
      totals.closes += report.closedAsExpected;
      totals.conns += report.connectionsOpened;
      if (server !== undefined && !target.alive()) {
        totals.crashes++;
        // Cases run concurrently, so a crash is pinned to the session's range, with the stack.
        const stderr = server.stderrTail();
        const at = stderr.search(/^\s*(\w*Error|FATAL|Uncaught)/m);
        const detail = `during cases ${sessionFirst}-${sessionFirst + report.cases}: ${(at >= 0 ? stderr.slice(at) : stderr.slice(-1000)).slice(0, 1500)}`;
        all.record(crashSignature(stderr), seed, sessionFirst, detail, Buffer.alloc(0));
      } else {
        totals.sentinelChecks++;
        if (report.sentinelIntact) totals.sentinelOk++;
        for (const f of report.failures.unique) {
          for (let i = 0; i < f.count; i++) all.record(f.signature, f.seed, f.caseIndex, f.detail, Buffer.from(f.inputBase64, 'base64'));
        }
      }
      if (server !== undefined) await server.stop();
      if (values.port !== undefined) break;
    }
    const ms = Date.now() - liveStart;
    console.log(
      `live: ${totals.cases} iterations (${rate(totals.cases, ms)}/s, ${(totals.bytes / 1e6).toFixed(1)} MB) over ${totals.conns} connections ` +
        `(${connections} at a time) in ${(ms / 1000).toFixed(1)} s; probes answered ${totals.probes}, closed as memcached closes ${totals.closes}; ` +
        `server crashes ${totals.crashes}; sentinel intact ${totals.sentinelOk}/${totals.sentinelChecks}; failures ${all.total}, unique ${all.unique.length}`,
    );
    printFailures(all.unique);
    failed ||= all.total > 0 || totals.crashes > 0;
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
