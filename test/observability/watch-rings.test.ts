// The shared watch rings (lib/observability/watch-rings.ts) in one thread:
// lines come out in order and whole across the wrap, a full ring drops and
// counts instead of overwriting, the slowest active reader bounds the
// producer, a reader sees only lines written after it started, the flag word
// is the union over readers, and a producer wakes a caught-up reader. The
// cross-thread behaviour is tested end to end in
// test/integration/watch-threads.test.ts.

import t from 'tap';
import { newWatchRingsMemory, WatchRings } from '../../lib/observability/watch-rings.js';
import { WATCH, WatchBus } from '../../lib/observability/watch-bus.js';
import { WatchStream } from '../../lib/observability/watch-stream.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';

function read(rings: WatchRings, reader: number): Array<[number, number, string]> {
  const got: Array<[number, number, string]> = [];
  const more = rings.drain(reader, (flag, gid, line) => got.push([flag, gid, line]));
  if (more) throw new Error('nothing was written during the drain');
  return got;
}

t.test('lines come out whole and in order across the wrap', async (t) => {
  const memory = newWatchRingsMemory(2, 1, 1024);
  const producer = new WatchRings(memory, 1);
  const reader = new WatchRings(memory, 0);
  reader.startReading(0);
  let expect = 0;
  for (let round = 0; round < 50; round++) {
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const line = `line ${round}-${i} ${'x'.repeat((round * 7 + i * 13) % 90)}\n`;
      t.ok(producer.write(WATCH.FETCHERS, ++expect, line));
      sent.push(line);
    }
    const got = read(reader, 0);
    t.same(
      got.map((g) => g[2]),
      sent,
    );
    t.equal(got[2]![1], expect, 'the gid travels with the line');
  }
});

t.test('a full ring drops and counts; the slowest reader bounds it', async (t) => {
  const memory = newWatchRingsMemory(1, 2, 1024);
  const producer = new WatchRings(memory, 0);
  t.notOk(producer.write(WATCH.FETCHERS, 1, 'nobody reads\n'), 'no reader: nothing is written');
  producer.startReading(0);
  producer.startReading(1);
  const line = 'y'.repeat(100) + '\n';
  let written = 0;
  while (producer.write(WATCH.FETCHERS, written + 1, line)) written++;
  t.ok(written >= 8 && written <= 9, `${written} lines of 116 bytes fit 1024`);
  t.equal(producer.totals().dropped, 1);
  t.equal(read(producer, 0).length, written, 'reader 0 reads them all');
  t.notOk(producer.write(WATCH.FETCHERS, 99, line), 'reader 1 has not read: still full');
  t.equal(read(producer, 1).length, written);
  t.ok(producer.write(WATCH.FETCHERS, 100, line), 'room again once both read');
  producer.stopReading(1);
  let more = 0;
  while (producer.write(WATCH.FETCHERS, 101 + more, line)) more++;
  t.ok(more >= 7, 'a reader that stopped no longer holds the producer back');
  t.equal(producer.totals().written, written + 1 + more);
});

t.test('a reader starts at the heads; the flag word is the union', async (t) => {
  const memory = newWatchRingsMemory(1, 2, 1024);
  const a = new WatchRings(memory, 0);
  a.startReading(0);
  a.write(WATCH.FETCHERS, 1, 'before\n');
  a.startReading(1);
  a.write(WATCH.FETCHERS, 2, 'after\n');
  t.same(
    read(a, 1).map((g) => g[2]),
    ['after\n'],
  );
  a.setReaderFlags(0, WATCH.FETCHERS, 1);
  a.setReaderFlags(1, WATCH.EVICTIONS, 2);
  t.equal(a.flagWord[0], WATCH.FETCHERS | WATCH.EVICTIONS);
  t.equal(a.totals().watchers, 3);
  a.forgetReader(1);
  t.equal(a.flagWord[0], WATCH.FETCHERS);
  t.equal(a.totals().watchers, 1);
});

t.test('a producer wakes a reader that has caught up', async (t) => {
  const memory = newWatchRingsMemory(1, 1, 1024);
  const rings = new WatchRings(memory, 0);
  rings.startReading(0);
  const seen = rings.doorbell();
  t.same(read(rings, 0), []);
  const woken = rings.waitForLines(seen, 60_000);
  rings.write(WATCH.FETCHERS, 1, 'wake\n');
  t.equal(await woken, 'ok', 'woken by the write, not the time-out');
});

t.test('a bus on the rings delivers to its watchers, as one thread does', async (t) => {
  const memory = newWatchRingsMemory(2, 2, 4096);
  const worker0 = new WatchBus();
  worker0.attachShared(new WatchRings(memory, 0), 0);
  const housekeeper = new WatchBus();
  housekeeper.attachShared(new WatchRings(memory, 1), -1);
  t.equal(housekeeper.flags, 0);
  housekeeper.publish(WATCH.EVICTIONS, 'type=eviction key=before');
  const stream = new WatchStream(worker0, WATCH.EVICTIONS);
  let woken = 0;
  stream.attach(() => woken++);
  t.ok(worker0.subscribe(stream));
  t.equal(housekeeper.flags, WATCH.EVICTIONS, 'the other thread sees the flag');
  t.notOk(housekeeper.subscribe(new WatchStream(housekeeper, WATCH.FETCHERS)), 'a thread that reads no rings takes no watchers');
  housekeeper.publish(WATCH.EVICTIONS, 'type=eviction key=k1');
  housekeeper.publish(WATCH.FETCHERS, 'type=item_get key=not-watched');
  await new Promise<void>((resolve) => {
    const check = (): void => (woken > 0 ? resolve() : void setTimeout(check, 5));
    check();
  });
  const out = new ReplyWriter();
  stream.pump(out);
  const taken = out.take();
  const text = (Array.isArray(taken) ? Buffer.concat(taken) : taken!).toString();
  t.match(text, /^ts=\d+\.\d+ gid=\d+ type=eviction key=k1\n$/);
  t.equal(worker0.sent, 1);
  t.equal(housekeeper.watcherCount, 1, 'counted for stats on any thread');
  stream.end();
  t.equal(housekeeper.flags, 0, 'the last watcher gone: the flag word is 0');
});
