// -e FILE warm restart of the built server: items written, a graceful stop
// (SIGTERM, SIGINT, SIGUSR1, or `shutdown [graceful]` with -A), a restart with -e, and every
// item reads back byte for byte with its flags and CAS token while the ones
// that expired during the downtime are gone. A consumed image is removed (a
// crash then restarts cold); a damaged or mismatched one gives a cold start
// with its reason logged and nothing served from it.

import t from 'tap';
import type { Test } from 'tap';
import net from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exchange } from '../integration/helpers/exchange.js';
import { serveBin } from './helpers/bin.js';
import type { BinServer } from './helpers/bin.js';
import { checkItems, statsOf, tempDir, writeItems } from './helpers/warm.js';

async function start(t: Test, args: string[]): Promise<BinServer> {
  const server = await serveBin(args);
  t.teardown(() => server.kill('SIGKILL'));
  return server;
}

// A dozen server starts, each saving or restoring an image: room for a loaded machine (took 120 s once at load 6-19).
t.setTimeout(300_000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Every graceful stop saves: the three signals memcached users send and both shutdown commands.
for (const stop of ['SIGTERM', 'SIGINT', 'SIGUSR1', 'shutdown graceful', 'shutdown'] as const) {
  const signal = stop.startsWith('SIG');
  t.test(`${stop}: saved, then restored by the next start with -e`, async (t) => {
    const file = join(tempDir(t), 'cache.img');
    // One of the two stops with the durable save (-o warm_restart_sync), one with the default.
    const sync = stop === 'shutdown graceful';
    const args = ['-m', '16', '-A', '-e', file, ...(sync ? ['-o', 'warm_restart_sync'] : [])];
    const first = await start(t, args);
    t.match(first.stderr(), /cold start: no image file/, 'first start is cold, and says so');
    const items = await writeItems(first.port, 400, signal ? 1 : 2);
    t.ok(items.size > 300, `${items.size} items written`);
    const written = Date.now();
    if (signal) first.kill(stop as NodeJS.Signals);
    else await exchange(first.port, `${stop}\r\n`, true);
    t.same(await first.exited, { code: 0, signal: null }, 'exit 0');
    t.match(first.stderr(), /warm restart: saved \d+ items in \d+ segments to /);
    t.match(first.stderr(), sync ? /warm restart: saved .*, synced; / : /warm restart: saved .*, not synced: see -o warm_restart_sync; /, sync ? 'synced, as asked' : 'not synced (the default)');
    t.match(first.stderr(), /warm restart: saved .*; written as a new file\)/, 'nothing was on disk to write over');
    t.ok(existsSync(file), 'image written');
    t.notOk(existsSync(`${file}.tmp`), 'no temp file left');

    // Down long enough for the 2-second items to expire.
    await sleep(Math.max(0, 3100 - (Date.now() - written)));
    const second = await start(t, args);
    t.match(second.stderr(), /warm restart: restored \d+ items/, 'the log says it was warm');
    t.match(second.stderr(), /hash index restored/, 'the saved hash index is used (the store runs with its seed)');
    t.notOk(existsSync(file), 'the consumed image is removed (a crash from here restarts cold)');
    const live = await checkItems(t, second.port, items);
    const stats = await statsOf(second.port);
    const own = await statsOf(second.port, 'segcache');
    t.equal(own.get('restart_warm'), '1');
    t.equal(own.get('restart_items_restored'), String(live), 'restart_items_restored counts what is live');
    t.equal(stats.get('curr_items'), String(live), 'curr_items matches');
    t.equal(stats.get('total_items'), '0', 'total_items starts fresh');
    const cas = await exchange(second.port, `cas counter 0 0 2 ${items.get('counter')!.cas}\r\n43\r\n`);
    t.equal(cas.reply.toString(), 'STORED\r\n', 'a CAS token from before the restart still works');

    // A crash leaves no image: the next start is cold.
    second.kill('SIGKILL');
    await second.exited;
    const third = await start(t, args);
    t.match(third.stderr(), /cold start: no image file/);
    t.equal((await statsOf(third.port, 'segcache')).get('restart_warm'), '0');
    t.equal((await exchange(third.port, 'get counter\r\n')).reply.toString(), 'END\r\n');
    third.kill('SIGTERM');
    await third.exited;
  });
}

t.test('damaged or mismatched images: cold start with the reason, nothing served', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'cache.img');
  const first = await start(t, ['-m', '16', '-e', file]);
  const marker = 'MARKER-VALUE-0123456789-ABCDEFGHIJ';
  await exchange(first.port, `set marker 0 0 ${marker.length}\r\n${marker}\r\n`);
  first.kill('SIGTERM');
  await first.exited;
  const good = readFileSync(file);
  const at = good.indexOf(marker);
  t.ok(at > 0, 'the value is in the image');
  const flipped = Buffer.from(good);
  flipped[at + 4]! ^= 1;
  const cases: Array<[string, Buffer, string[], RegExp]> = [
    ['a flipped byte in a value', flipped, [], /cold start: segment data checksum mismatch/],
    ['a truncated image', good.subarray(0, good.length - 100), [], /cold start: image is \d+ bytes, its header says \d+/],
    ['-m changed', good, ['-m', '32'], /cold start: settings differ: -m 16 MiB \(image\) vs 32 MiB \(now\)/],
    ['an empty file', Buffer.alloc(0), [], /cold start: image file is empty/],
  ];
  for (const [name, bytes, extra, reason] of cases) {
    writeFileSync(file, bytes);
    const server = await start(t, ['-m', '16', '-e', file, ...extra]);
    t.match(server.stderr(), reason, `${name}: reason logged`);
    t.equal((await exchange(server.port, 'get marker\r\n')).reply.toString(), 'END\r\n', `${name}: nothing served from it`);
    t.equal((await statsOf(server.port, 'segcache')).get('restart_warm'), '0');
    t.ok(existsSync(`${file}.rejected`), `${name}: set aside as .rejected`);
    server.kill('SIGKILL');
    await server.exited;
    rmSync(`${file}.rejected`, { force: true });
  }
});

t.test('connections during a restore are refused: the server listens only after it', async (t) => {
  // serveBin resolves on the "listening" line, which comes after the restore line.
  const file = join(tempDir(t), 'cache.img');
  const first = await start(t, ['-m', '16', '-e', file]);
  await writeItems(first.port, 50, 3);
  first.kill('SIGTERM');
  await first.exited;
  const second = await start(t, ['-m', '16', '-e', file]);
  const log = second.stderr();
  t.ok(log.indexOf('warm restart: restored') < log.indexOf('listening on'), 'restored before listening');
  await new Promise<void>((resolve) => {
    const s = net.connect(second.port, '127.0.0.1', () => {
      s.destroy();
      resolve();
    });
  });
});
