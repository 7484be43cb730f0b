// Shared fixtures for the observability tests: a real store with server
// counters around it, a fixed clock, free loopback ports, and a stats-only
// TCP responder so memcached's own tools can read renderStats' output.

import http from 'node:http';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { createStore } from '../../segments/index.js';
import { ServerCounters } from '../../lib/observability/server-stats.js';
import { DEFAULT_SETTINGS } from '../../lib/cli/settings.js';
import type { Settings } from '../../lib/cli/settings.js';
import type { ConnectionInfo } from '../../lib/server/context.js';
import type { Clock, StoreOptions } from '../../segments/types.js';
import { renderStats, type StatsSources } from '../../lib/observability/stats-report.js';

/** A settable clock (unix ms). */
export class ManualClock implements Clock {
  constructor(public ms: number) {}
  nowMs(): number {
    return this.ms;
  }
}

export interface Fixture extends StatsSources {
  clock: ManualClock;
  conns: ConnectionInfo[];
}

/** A real store (4 MiB, 1 MiB segments unless overridden) plus fresh counters and settings. */
export function makeSources(settings: Partial<Settings> = {}, store: Partial<StoreOptions> = {}): Fixture {
  const clock = new ManualClock(Date.now());
  const merged: Settings = { ...DEFAULT_SETTINGS, maxBytes: 4 * 1024 * 1024, ...settings };
  const conns: ConnectionInfo[] = [];
  return {
    store: createStore({ memoryLimitBytes: merged.maxBytes, itemSizeMax: merged.itemSizeMax, clock, ...store }),
    settings: merged,
    counters: new ServerCounters(),
    version: '1.6.18-grow-a-cache-test',
    connections: () => conns,
    clock,
    conns,
  };
}

/** renderStats for a group that answers STAT lines (throws otherwise). */
export function statPairs(group: string, src: StatsSources, args = ''): Array<[string, string]> {
  const lines = renderStats(group, args, src);
  if (!Array.isArray(lines)) throw new Error(`stats ${group} ${args} gave no STAT lines: ${String(lines)}`);
  return lines;
}

/** renderStats as a name → value map (throws on an unknown group). */
export function statsMap(group: string, src: StatsSources, args = ''): Map<string, string> {
  return new Map(statPairs(group, src, args));
}

/** A port nobody listens on right now (for processes that cannot report theirs). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A loopback server that answers only `stats [group]`, `version` and `quit`
 * with renderStats' output, framed as memcached frames it. Lets memstat and
 * memcached-tool read our stats without the full server.
 */
export async function serveStatsOnly(src: StatsSources): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let eol = pending.indexOf('\n'); eol >= 0; eol = pending.indexOf('\n')) {
        const line = pending.slice(0, eol).replace(/\r$/, '');
        pending = pending.slice(eol + 1);
        socket.write(answer(line, src));
        if (line === 'quit') socket.end();
      }
      if (pending.length > 4096) socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function answer(line: string, src: StatsSources): string {
  if (line === 'quit') return '';
  if (line === 'version') return `VERSION ${src.version}\r\n`;
  // memstat sends `stats ` with a trailing space; memcached's tokenizer ignores it.
  const m = /^stats(?: +(\S+)(?: +(.*))?)? *$/.exec(line);
  if (!m) return 'ERROR\r\n';
  const group = m[1] ?? '';
  const lines = renderStats(group, m[2] ?? '', src);
  if (lines === null) return 'ERROR\r\n';
  if (typeof lines === 'string') return `${lines}\r\n`;
  if (group === 'reset') return 'RESET\r\n';
  return lines.map(([name, value]) => `STAT ${name} ${value}\r\n`).join('') + 'END\r\n';
}

/** Run a program; resolve with stdout, stderr and exit code (never rejects on a non-zero exit). */
export function run(file: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A raw text-protocol client: send bytes, collect the reply up to a terminator. */
export class RawClient {
  private buffered = '';
  private waiter: (() => void) | undefined;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffered += d;
      this.waiter?.();
    });
    socket.on('close', () => this.waiter?.());
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Send `request` and resolve with everything up to and including the first match of `until`. */
  async call(request: string | Buffer, until: RegExp = /(?:^|\r\n)(?:END|ERROR|RESET|OK)\r\n$/): Promise<string> {
    this.socket.write(request);
    for (;;) {
      const match = until.exec(this.buffered);
      if (match) {
        const end = match.index + match[0].length;
        const reply = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end);
        return reply;
      }
      if (this.socket.destroyed) throw new Error(`connection closed; got ${JSON.stringify(this.buffered)}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** `STAT name value` lines of a reply as a map. */
export function parseStatLines(reply: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of reply.split('\r\n')) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** GET /metrics from a server's --metrics-listen port; the body as text. */
export function scrapeMetrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
