// -e FILE: what the built server does with the files it finds at start and
// what its save leaves, for every mix a crash or an operator can leave in
// the directory (no file, a stale FILE.tmp alone or beside a valid or a
// damaged FILE, a complete image under the .tmp name, a FILE.consumed
// left by a crash right after a warm start, a valid FILE, a damaged one). Each start must log the right line, come up warm or cold
// as it should and never serve a value from a file it should not trust;
// the following stop must write the image under a name no file held.
// Then every graceful stop (three signals, both shutdown commands), with
// -t 1 and -t 2, after a warm start: the save finds nothing on disk (the
// start consumed the image) and the next start restores what it wrote.

import t from 'tap';
import type { Test } from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exchange } from '../integration/helpers/exchange.js';
import { serveBin } from './helpers/bin.js';
import type { BinServer } from './helpers/bin.js';
import { statsOf, tempDir } from './helpers/warm.js';

// About forty server starts: room for a loaded machine.
t.setTimeout(600_000);

async function start(t: Test, args: string[]): Promise<BinServer> {
  const server = await serveBin(args);
  t.teardown(() => server.kill('SIGKILL'));
  return server;
}

const OLD = 'OLD-VALUE-written-before-the-image-was-saved';
const NEW = 'NEW-VALUE-written-after-the-image-was-read';

/** `get key` over the text protocol: the value, or undefined on a miss. */
async function getValue(port: number, key: string): Promise<string | undefined> {
  const reply = (await exchange(port, `get ${key}\r\n`)).reply.toString('latin1');
  const m = /^VALUE \S+ \d+ \d+\r\n([^\r]*)\r\nEND\r\n$/.exec(reply);
  return m?.[1];
}

/** Wait (up to 20 s) for the server's background delete of `path`. */
async function waitGone(path: string): Promise<void> {
  for (let i = 0; i < 200 && existsSync(path); i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

async function set(port: number, key: string, value: string): Promise<void> {
  const reply = (await exchange(port, `set ${key} 0 0 ${value.length}\r\n${value}\r\n`)).reply.toString();
  if (reply !== 'STORED\r\n') throw new Error(`set ${key}: ${reply}`);
}

/** A valid image of a store holding marker=OLD. */
async function validImage(t: Test): Promise<Buffer> {
  const file = join(tempDir(t), 'source.img');
  const server = await start(t, ['-m', '16', '-e', file]);
  await set(server.port, 'marker', OLD);
  server.kill('SIGTERM');
  await server.exited;
  return readFileSync(file);
}

t.test('start paths: each file mix gives the right log line, warm or cold, and never a wrong value', async (t) => {
  const good = await validImage(t);
  const at = good.indexOf(OLD);
  t.ok(at > 0, 'the value is in the image');
  const flipped = Buffer.from(good);
  flipped[at + 3]! ^= 1;
  const partial = good.subarray(0, Math.floor(good.length / 2));
  const TMP_LINE = /warm restart: removed \S+\.tmp, left by a save that did not finish/;

  interface Case {
    name: string;
    file?: Buffer;
    temp?: Buffer;
    /** FILE.consumed: an image a start had read, left by a crash before its background delete. */
    consumed?: Buffer;
    /** The start's lines, in order. */
    log: RegExp[];
    warm: boolean;
  }
  const cases: Case[] = [
    { name: 'no file', log: [/cold start: no image file/], warm: false },
    { name: 'a stale .tmp only (crash mid-save)', temp: partial, log: [TMP_LINE, /cold start: no image file/], warm: false },
    {
      name: 'a stale .tmp beside a valid file (the file is older than the cache that save held)',
      file: good,
      temp: partial,
      log: [TMP_LINE, /cold start: \S+\.tmp was left by a save that did not finish, so \S+ is older than the cache that save held/],
      warm: false,
    },
    { name: 'a complete image under the .tmp name only (crash before the rename)', temp: good, log: [TMP_LINE, /cold start: no image file/], warm: false },
    { name: 'a stale .tmp beside a damaged file', file: flipped, temp: partial, log: [TMP_LINE, /cold start: \S+\.tmp was left/], warm: false },
    { name: 'a valid file', file: good, log: [/warm restart: restored 1 items in 1 segments .*image consumed in \d+\.\d\d s\)/], warm: true },
    {
      name: 'a .consumed left by a crash right after a warm start (never read again)',
      consumed: good,
      log: [/warm restart: removed \S+\.consumed, an image an earlier start had already read/, /cold start: no image file/],
      warm: false,
    },
    { name: 'a damaged file (a flipped byte in a value)', file: flipped, log: [/cold start: segment data checksum mismatch/], warm: false },
    { name: 'a truncated file', file: partial, log: [/cold start: image is \d+ bytes, its header says \d+/], warm: false },
    { name: 'an empty file', file: Buffer.alloc(0), log: [/cold start: image file is empty/], warm: false },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'cache.img');
      if (c.file !== undefined) writeFileSync(file, c.file);
      if (c.temp !== undefined) writeFileSync(`${file}.tmp`, c.temp);
      if (c.consumed !== undefined) writeFileSync(`${file}.consumed`, c.consumed);
      const server = await start(t, ['-m', '16', '-e', file]);
      const log = server.stderr();
      let from = 0;
      for (const line of c.log) {
        const m = line.exec(log.slice(from));
        t.ok(m, `logged ${line.source}`);
        if (m) from += m.index + m[0].length;
      }
      t.equal(TMP_LINE.test(log), c.temp !== undefined, c.temp !== undefined ? 'the .tmp removal is logged' : 'no .tmp line without a .tmp');
      t.notOk(existsSync(`${file}.tmp`), 'no .tmp left after the start');
      if (c.consumed !== undefined) t.notOk(existsSync(`${file}.consumed`), 'the stale .consumed is removed');
      t.notOk(existsSync(file), c.warm ? 'the consumed image is removed' : 'no file under FILE (refused ones are set aside)');
      if (c.file !== undefined && !c.warm) t.ok(existsSync(`${file}.rejected`), 'the refused file is kept as .rejected');
      t.equal((await statsOf(server.port, 'segcache')).get('restart_warm'), c.warm ? '1' : '0', c.warm ? 'warm' : 'cold');
      t.equal(await getValue(server.port, 'marker'), c.warm ? OLD : undefined, c.warm ? 'the saved value, exactly' : 'nothing served from any file');

      // The stop writes a fresh name, and that image is the cache as it was at the stop.
      await set(server.port, 'marker', NEW);
      server.kill('SIGTERM');
      t.same(await server.exited, { code: 0, signal: null }, 'exit 0');
      t.match(server.stderr(), /warm restart: saved 1 items .*; written as a new file\)/, 'the save found no file to write over');
      t.notOk(existsSync(`${file}.tmp`), 'no .tmp after the save');
      const next = await start(t, ['-m', '16', '-e', file]);
      t.match(next.stderr(), /warm restart: restored 1 items/);
      t.equal(await getValue(next.port, 'marker'), NEW, 'the next start serves the value of the last stop');
      next.kill('SIGKILL');
      await next.exited;
    });
  }
});

// Every graceful stop, with one loop (-t 1) and with worker threads (-t 2), after a warm start.
for (const threads of ['1', '2']) {
  for (const stop of ['SIGTERM', 'SIGINT', 'SIGUSR1', 'shutdown graceful', 'shutdown'] as const) {
    t.test(`-t ${threads}, ${stop}: after a warm start the save writes a fresh name, and it restores`, async (t) => {
      const file = join(tempDir(t), 'cache.img');
      const args = ['-m', '16', '-A', '-t', threads, '-e', file];
      const halt = async (server: BinServer): Promise<void> => {
        if (stop.startsWith('SIG')) server.kill(stop as NodeJS.Signals);
        else await exchange(server.port, `${stop}\r\n`, true);
        t.same(await server.exited, { code: 0, signal: null }, `${stop}: exit 0`);
      };
      const first = await start(t, args);
      await set(first.port, 'marker', OLD);
      await halt(first);
      t.match(first.stderr(), /warm restart: saved 1 items .*; written as a new file\)/, 'first save: a new file');

      const second = await start(t, args);
      t.match(second.stderr(), /warm restart: restored 1 items/, 'warm');
      t.notOk(existsSync(file), 'the start consumed the image');
      await waitGone(`${file}.consumed`);
      t.notOk(existsSync(`${file}.consumed`), 'and deleted it in the background');
      t.equal(await getValue(second.port, 'marker'), OLD);
      await set(second.port, 'marker', NEW);
      await halt(second);
      t.match(second.stderr(), /warm restart: saved 1 items .*; written as a new file\)/, 'second save: nothing on disk to write over');
      t.notMatch(second.stderr(), /after removing/, 'no old image or .tmp was removed');
      t.notOk(existsSync(`${file}.tmp`), 'no .tmp left');

      const third = await start(t, args);
      t.match(third.stderr(), /warm restart: restored 1 items/, 'warm again');
      t.equal(await getValue(third.port, 'marker'), NEW, 'the value of the last stop');
      third.kill('SIGKILL');
      await third.exited;
    });
  }
}
