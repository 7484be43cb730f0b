// Behaviour that depends on time (TTLs, last access) with an injected
// clock, and on -C / -M.

import t from 'tap';
import { connect, exchange, send } from './helpers/exchange.js';
import { startTestServer } from './helpers/server.js';

class ManualClock {
  ms = Date.UTC(2024, 0, 1);
  nowMs(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

t.test('TTLs and last access follow the clock', async (t) => {
  const clock = new ManualClock();
  const { port } = await startTestServer(t, {}, { clock });
  const s = await connect(port);
  t.teardown(() => s.destroy());
  const ask = async (req: string): Promise<string> => (await send(s, req)).reply.toString('latin1');

  t.equal(await ask('set k 0 100 1\r\nx\r\n'), 'STORED\r\n');
  clock.advance(30);
  t.equal(await ask('mg k t l h\r\n'), 'HD t70 l30 h0\r\n');
  t.equal(await ask('mg k l h\r\n'), 'HD l0 h1\r\n', 'the previous mg was an access');
  t.match(await ask('me k\r\n'), /^ME k exp=-70 la=0 cas=\d+ fetch=yes /);
  clock.advance(20);
  t.equal(await ask('mg k R60 t\r\n'), 'HD t50 W\r\n', 'recache won below the R threshold');
  t.equal(await ask('mg k R60 t\r\n'), 'HD t50 Z\r\n');
  clock.advance(51);
  t.equal(await ask('get k\r\n'), 'END\r\n', 'expired');
  t.equal(await ask('mg k v\r\n'), 'EN\r\n');

  t.equal(await ask('set g 0 10 1\r\ny\r\n'), 'STORED\r\n');
  t.equal(await ask('gat 100 g\r\n'), 'VALUE g 0 1\r\ny\r\nEND\r\n');
  clock.advance(50);
  t.equal(await ask('mg g t v\r\n'), 'VA 1 t50\r\ny\r\n', 'gat moved the deadline');
  t.equal(await ask('touch g 5\r\n'), 'TOUCHED\r\n');
  clock.advance(6);
  t.equal(await ask('get g\r\n'), 'END\r\n');

  t.equal(await ask('set abs 0 ' + String(clock.ms / 1000 + 40) + ' 1\r\nz\r\n'), 'STORED\r\n');
  t.equal(await ask('mg abs t\r\n'), 'HD t40\r\n', 'absolute unix exptime');
  t.equal(await ask('md abs I\r\n'), 'HD\r\n');
  t.equal(await ask('mg abs t\r\n'), 'HD t40 X W\r\n', 'invalidation keeps the TTL');

  const fortyDays = 40 * 24 * 3600;
  t.equal(await ask(`ms far 1 T${clock.ms / 1000 + fortyDays}\r\nq\r\n`), 'HD\r\n');
  t.equal(await ask('md far I\r\n'), 'HD\r\n');
  t.equal(await ask('mg far t\r\n'), `HD t${fortyDays} X W\r\n`, 'a TTL past 30 days survives invalidation');
  t.equal(await ask('set r2 0 100 1\r\nr\r\n'), 'STORED\r\n');
  t.equal(await ask(`mg r2 R${clock.ms / 1000 + 50} t\r\n`), 'HD t100\r\n', 'R as a unix time, not reached');
  t.equal(await ask(`mg r2 R${clock.ms / 1000 + 200} t\r\n`), 'HD t100 W\r\n', 'R as a unix time, reached');

  t.equal(await ask('set fl 0 0 1\r\na\r\nflush_all 10\r\n'), 'STORED\r\nOK\r\n');
  t.equal(await ask('get fl\r\n'), 'VALUE fl 0 1\r\na\r\nEND\r\n', 'still there before the delay');
  clock.advance(11);
  t.equal(await ask('get fl\r\n'), 'END\r\n', 'flushed after the delay');

  // memcached 1.6.18 measured: `flush_all 2` takes effect a second later and
  // flushes every set of that whole second, as its cliff is whole seconds.
  t.equal(await ask('flush_all 2\r\n'), 'OK\r\n');
  clock.advance(1);
  t.equal(await ask('set in 0 0 1\r\ni\r\nget in\r\n'), 'STORED\r\nEND\r\n', 'a set in the flush second is flushed at once');
  clock.advance(1);
  t.equal(await ask('set in 0 0 1\r\ni\r\nget in\r\n'), 'STORED\r\nVALUE in 0 1\r\ni\r\nEND\r\n', 'the next second keeps its sets');
  t.equal(await ask('flush_all 1\r\nset in2 0 0 1\r\nj\r\nget in in2\r\n'), 'OK\r\nSTORED\r\nEND\r\n', 'flush_all 1: at once, and the rest of its second');
  t.equal(await ask('flush_all\r\nset in3 0 0 1\r\nk\r\nget in3\r\n'), 'OK\r\nSTORED\r\nVALUE in3 0 1\r\nk\r\nEND\r\n', 'flush_all: a set right after it stays');
});

t.test('meta l and la stay right after days and years of uptime', async (t) => {
  const clock = new ManualClock();
  const { port } = await startTestServer(t, {}, { clock });
  const s = await connect(port);
  t.teardown(() => s.destroy());
  const ask = async (req: string): Promise<string> => (await send(s, req)).reply.toString('latin1');
  t.equal(await ask('set old 0 0 1\r\nx\r\n'), 'STORED\r\n');
  clock.advance(25 * 3600);
  t.equal(await ask('mg old l\r\n'), `HD l${25 * 3600}\r\n`, 'idle 25 hours, not 25 h mod 2^16 s');
  clock.advance(2 * 365 * 24 * 3600);
  // The read above happened 25 h after the segment opened: the segment's
  // unit is now 2^11 s, so the idle time is at most that much early.
  const la = Number(/ la=(\d+) /.exec(await ask('me old\r\n'))?.[1]);
  t.ok(la >= 2 * 365 * 24 * 3600 && la < 2 * 365 * 24 * 3600 + 2048, `me la=${la} after two years`);
});

t.test('-C: no CAS', async (t) => {
  const { port } = await startTestServer(t, { casEnabled: false });
  const r = await exchange(port, 'set c 0 0 1\r\na\r\ngets c\r\nmg c c\r\ncas c 0 0 1 0\r\nb\r\n');
  t.equal(r.reply.toString(), 'STORED\r\nVALUE c 0 1 0\r\na\r\nEND\r\nHD c0\r\nEXISTS\r\n');
});

t.test('-M: a full cache answers out of memory instead of evicting', async (t) => {
  const { port } = await startTestServer(t, { evictionPolicy: 'none', maxBytes: 4 * 1024 * 1024, itemSizeMax: 1024 * 1024 });
  const s = await connect(port);
  t.teardown(() => s.destroy());
  const value = 'v'.repeat(100_000);
  let reply = '';
  for (let i = 0; i < 200 && !reply.includes('SERVER_ERROR'); i++) {
    reply = (await send(s, `set m${i} 0 0 ${value.length}\r\n${value}\r\n`)).reply.toString();
  }
  t.equal(reply, 'SERVER_ERROR out of memory storing object\r\n');
  t.equal((await send(s, `ms mm ${value.length} T0\r\n${value}\r\n`)).reply.toString(), 'SERVER_ERROR out of memory storing object\r\n');
  t.equal((await send(s, 'get m0\r\n')).reply.toString().slice(0, 16), 'VALUE m0 0 10000', 'nothing was evicted');
});
