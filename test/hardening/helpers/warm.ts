// Shared by the warm-restart tests of the built server: write items of mixed
// sizes, flags and TTLs over the text protocol, read them back and compare,
// read `stats`, and a temporary directory per test.

import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, exchange, send } from '../../integration/helpers/exchange.js';
import { prng } from '../../prng.js';

export function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'gac-warm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Item {
  value: Buffer;
  flags: number;
  cas: string;
  /** Expires during the downtime. */
  short: boolean;
}

/** Parse a `gets` reply: key -> value, flags, cas. */
function parseGets(reply: Buffer): Map<string, { value: Buffer; flags: number; cas: string }> {
  const out = new Map<string, { value: Buffer; flags: number; cas: string }>();
  let at = 0;
  for (;;) {
    const eol = reply.indexOf('\r\n', at);
    if (eol < 0) throw new Error('unterminated gets reply');
    const line = reply.toString('latin1', at, eol);
    if (line === 'END') return out;
    const m = /^VALUE (\S+) (\d+) (\d+) (\d+)$/.exec(line);
    if (!m) throw new Error(`unexpected line ${line}`);
    const n = Number(m[3]);
    out.set(m[1]!, { value: reply.subarray(eol + 2, eol + 2 + n), flags: Number(m[2]), cas: m[4]! });
    at = eol + 2 + n + 2;
  }
}

/** Write `count` items of mixed sizes, flags and TTLs, some overwritten; return them with their CAS tokens. */
export async function writeItems(port: number, count: number, seed: number): Promise<Map<string, Item>> {
  const rand = prng(seed);
  const socket = await connect(port);
  const items = new Map<string, Item>();
  const shortKeys = new Set<string>();
  try {
    for (let i = 0; i < count; i++) {
      const key = `k${i % Math.floor(count * 0.9)}`;
      const big = rand() < 0.05;
      const size = big ? 100_000 + Math.floor(rand() * 150_000) : Math.floor(rand() * 3000);
      const value = Buffer.alloc(size);
      for (let j = 0; j < size; j++) value[j] = Math.floor(rand() * 256);
      const flags = rand() < 0.5 ? 0 : Math.floor(rand() * 0xffffffff);
      const r = rand();
      const exptime = r < 0.2 ? 2 : r < 0.4 ? 3600 : 0;
      if (exptime === 2) shortKeys.add(key);
      else shortKeys.delete(key);
      const reply = await send(socket, Buffer.concat([Buffer.from(`set ${key} ${flags} ${exptime} ${size}\r\n`), value, Buffer.from('\r\n')]));
      if (reply.reply.toString() !== 'STORED\r\n') throw new Error(`set ${key}: ${reply.reply.toString()}`);
    }
    await send(socket, 'set counter 5 0 2\r\n41\r\nincr counter 1\r\n');
    const keys = [...new Set([...Array(Math.floor(count * 0.9)).keys()].map((i) => `k${i}`)), 'counter'];
    const got = parseGets((await send(socket, `gets ${keys.join(' ')}\r\n`)).reply);
    for (const [key, v] of got) items.set(key, { ...v, value: Buffer.from(v.value), short: shortKeys.has(key) });
  } finally {
    socket.destroy();
  }
  return items;
}

/** `stats` (or `stats <group>`, e.g. 'segcache' for restart_warm) as a map. */
export async function statsOf(port: number, group = ''): Promise<Map<string, string>> {
  const r = await exchange(port, group === '' ? 'stats\r\n' : `stats ${group}\r\n`);
  const map = new Map<string, string>();
  for (const line of r.reply.toString('latin1').split('\r\n')) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m) map.set(m[1]!, m[2]!);
  }
  return map;
}

/** Every long-lived item reads back exactly; every short-lived one is gone. */
export async function checkItems(t: Test, port: number, items: Map<string, Item>): Promise<number> {
  const got = parseGets((await exchange(port, `gets ${[...items.keys()].join(' ')}\r\n`)).reply);
  let bad = 0;
  let live = 0;
  for (const [key, want] of items) {
    const have = got.get(key);
    if (want.short) {
      if (have !== undefined) bad++;
      continue;
    }
    live++;
    if (have === undefined || !have.value.equals(want.value) || have.flags !== want.flags || have.cas !== want.cas) bad++;
  }
  t.equal(bad, 0, `${live} items read back byte for byte with the same flags and CAS; the short-lived ones are gone`);
  return live;
}

