// How long each server keeps serving an item stored with a relative TTL,
// measured over the wire: memcached and grow-a-cache side by side in one
// process (the same machine load for both), each probe key set at a random
// moment and then read every few milliseconds until its first miss. Its
// lifetime is taken from the set's reply to the first miss's send (an
// item's life can only be known to that resolution plus the poll period).
// This is what decides the "expired" misses of the hit-ratio replay
// (issue 17): a server whose items die earlier misses more of the gets
// that come near the end of a TTL. It is not a hit-ratio benchmark.
//
//   node dist/benchmarks/expiry-lifetime.js [--ttl 3] [--probes 300] [--spread-s 30] [--poll-ms 5] [--rounds 1]

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { TextConnection } from './core/text-connection.js';
import { startServer, type RunningServer } from './servers/server-process.js';
import { memcachedSpec, oursSpec, type ServerSpec } from './servers/server-specs.js';

interface Probe {
  key: string;
  /** When the set was sent and answered, ms (performance clock). */
  setSent: number;
  setReplied: number;
  lastHitSent: number;
  firstMissSent: number;
}

interface Lives {
  server: string;
  /** Per probe: ms from the set's reply to the first miss's send. */
  lives: number[];
  /** Probes whose first read after the set's reply already missed: must be none. */
  lostAtOnce: number;
}

function summary(values: number[]): { mean: number; p5: number; p50: number; p95: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p5: at(0.05), p50: at(0.5), p95: at(0.95), min: s[0]!, max: s[s.length - 1]! };
}

async function measure(server: RunningServer, ttl: number, probes: number, spreadMs: number, pollMs: number, tag: string): Promise<Lives> {
  const conn = await TextConnection.open('127.0.0.1', server.port);
  const all: Probe[] = [];
  const live = new Set<Probe>();
  let lostAtOnce = 0;
  const start = performance.now();
  // Set times spread at random over the window (no relation to any second boundary).
  const setAt = Array.from({ length: probes }, () => Math.random() * spreadMs).sort((a, b) => a - b);
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    conn.onFailure(reject);
    const timer = setInterval(() => {
      const now = performance.now();
      while (next < probes && now - start >= setAt[next]!) {
        const probe: Probe = { key: `life:${tag}:${next}`, setSent: now, setReplied: -1, lastHitSent: -1, firstMissSent: -1 };
        next++;
        all.push(probe);
        conn.send(`set ${probe.key} 0 ${ttl} 1\r\nx\r\n`, 'line', (reply) => {
          if (reply.kind !== 'line' || reply.line !== 'STORED') return reject(new Error(`set: ${JSON.stringify(reply)}`));
          probe.setReplied = performance.now();
          live.add(probe);
        });
      }
      for (const probe of live) {
        const sent = performance.now();
        conn.send(`get ${probe.key}\r\n`, 'values', (reply) => {
          if (reply.kind !== 'values' || probe.firstMissSent >= 0) return;
          if (reply.values.length > 0) probe.lastHitSent = Math.max(probe.lastHitSent, sent);
          else {
            probe.firstMissSent = sent;
            if (probe.lastHitSent < 0) lostAtOnce++;
            live.delete(probe);
          }
        });
      }
      if (next === probes && live.size === 0 && conn.pending === 0) {
        clearInterval(timer);
        resolve();
      }
    }, pollMs);
  });
  conn.close();
  return { server: server.name, lives: all.map((p) => p.firstMissSent - p.setReplied), lostAtOnce };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ttl: { type: 'string', default: '3' },
      probes: { type: 'string', default: '300' },
      'spread-s': { type: 'string', default: '30' },
      'poll-ms': { type: 'string', default: '5' },
      rounds: { type: 'string', default: '1' },
    },
  });
  const ttl = Number(values.ttl);
  const specs: ServerSpec[] = [memcachedSpec(), oursSpec()];
  for (let round = 1; round <= Number(values.rounds); round++) {
    const servers = await Promise.all(specs.map((spec) => startServer(spec, { memoryMb: 64, core: undefined })));
    try {
      const results = await Promise.all(
        servers.map((s, i) => measure(s, ttl, Number(values.probes), Number(values['spread-s']) * 1000, Number(values['poll-ms']), `${round}.${i}`)),
      );
      for (const r of results) {
        const s = summary(r.lives);
        const f = (ms: number): string => (ms / 1000).toFixed(3);
        console.log(
          `round ${round} ${r.server.padEnd(12)} ttl ${ttl} s: ${r.lives.length} probes, served for mean ${f(s.mean)} s (TTL - ${f(ttl * 1000 - s.mean)}), p5 ${f(s.p5)} p50 ${f(s.p50)} p95 ${f(s.p95)}, min ${f(s.min)} max ${f(s.max)}; lost at once ${r.lostAtOnce}`,
        );
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
}

await main();
