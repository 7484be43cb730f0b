// Start a server under test as a child process on a loopback port, wait
// until it answers `version`, read its stats and resource use, and stop it.
// The pid is the server's own (taskset execs it), so /proc figures are the
// server's alone.

import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerSpec } from './server-specs.js';
import { pinned } from './cpu-plan.js';
import { freePort } from './free-port.js';
import { processCpuSeconds, processRssBytes } from '../core/proc-stats.js';
import { parseStatsReply } from '../core/stats-lines.js';

export interface StartOptions {
  memoryMb: number;
  core: number | undefined;
  /** Give up waiting for `VERSION` after this long. */
  readyTimeoutMs?: number;
}

const STDERR_KEEP = 4096;

export class RunningServer {
  private stderrTail = '';
  private exited: Promise<number | null>;
  private hasExited = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.stdout?.resume();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve(code ?? (signal ? -1 : null));
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.hasExited;
  }

  /** Last lines the server wrote to stderr (for error messages). */
  get stderr(): string {
    return this.stderrTail;
  }

  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  rssBytes(): number {
    return processRssBytes(this.pid);
  }

  /** `stats` (or a group) over a fresh connection. */
  stats(group = ''): Promise<Map<string, string>> {
    return oneShot(this.port, group ? `stats ${group}\r\n` : 'stats\r\n', /(^|\n)(END|ERROR)\r\n$/).then(parseStatsReply);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = sleep(graceMs).then(() => 'timeout' as const);
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  waitExit(): Promise<number | null> {
    return this.exited;
  }
}

/** Send `request` on a new connection and collect the reply until `done` matches. */
export function oneShot(port: number, request: string, done: RegExp, timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${JSON.stringify(request.slice(0, 30))} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      if (done.test(text)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(request);
  });
}

/** Start `spec` on a free port and wait until it answers `version`. */
export async function startServer(spec: ServerSpec, options: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  const [command, args] = pinned(options.core, spec.command, spec.args(port, options.memoryMb));
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new RunningServer(spec.name, port, child);
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20000);
  for (;;) {
    if (!server.alive) throw new Error(`${spec.name} exited during start: ${server.stderr.trim() || '(no stderr)'}`);
    try {
      await Promise.race([oneShot(port, 'version\r\n', /\r\n$/, 1000), spawnError]);
      return server;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).syscall?.startsWith('spawn')) throw err;
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`${spec.name} did not answer on port ${port}: ${(err as Error).message}; stderr: ${server.stderr.trim()}`, { cause: err });
      }
      await sleep(50);
    }
  }
}
