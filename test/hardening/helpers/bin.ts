// The built server (`node dist/lib/cli/main.js`) as a child process, for tests
// that need a real process: signals, exit codes, fd limits, TLS start-up.
// `npm test` builds first; a lone run builds here when dist/ is stale.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'dist', 'lib', 'cli', 'main.js');

let built = false;
export function ensureBuilt(): void {
  if (built) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-stale.mjs')], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    // A type error elsewhere still emits JavaScript; the tests need only the bin.
  }
  built = true;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BinServer {
  port: number;
  pid: number;
  exited: Promise<Exit>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): void;
}

export interface ServeOptions {
  /** Raise the soft fd limit to this (or the hard limit, if lower) before exec. */
  fdLimit?: number;
  env?: NodeJS.ProcessEnv;
}

/** Shell prefix that raises the soft fd limit as far as allowed, then execs. */
export function withFdLimit(limit: number, argv: string[]): string[] {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return ['bash', '-c', `ulimit -n ${limit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${quoted}`];
}

/** The hard limit on open files for processes we start (what withFdLimit can reach). */
export function hardFdLimit(): number {
  const r = spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.stdout.trim() === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number.isFinite(n) ? n : 1024;
}

/** Start the server on an ephemeral loopback port; resolves once it listens. */
export function serveBin(args: string[], opts: ServeOptions = {}): Promise<BinServer> {
  ensureBuilt();
  const argv = [process.execPath, BIN, '-p', '-1', '-l', '127.0.0.1', '-v', ...args];
  const cmd = opts.fdLimit !== undefined ? withFdLimit(opts.fdLimit, argv) : argv;
  const child: ChildProcess = spawn(cmd[0] as string, cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: opts.env ?? process.env });
  let stderr = '';
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // Never leave a server behind if the test process ends first.
  const reap = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', reap);
  void exited.then(() => process.off('exit', reap));
  return new Promise((resolve, reject) => {
    let port = 0;
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
      const m = port === 0 ? /listening on 127\.0\.0\.1:(\d+)/.exec(stderr) : null;
      if (m) {
        port = Number(m[1]);
        resolve({
          port,
          pid: child.pid as number,
          exited,
          stderr: () => stderr,
          kill: (signal: NodeJS.Signals = 'SIGTERM') => {
            child.kill(signal);
          },
        });
      }
    });
    void exited.then((e) => {
      if (port === 0) reject(new Error(`server exited (${e.code ?? e.signal}) before listening: ${stderr}`));
    });
  });
}

/** Run the bin to completion (start-up errors). */
export function runBin(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  ensureBuilt();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env['PATH'], ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** VmRSS of a process in bytes (Linux), or undefined. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
