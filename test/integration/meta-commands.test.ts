// Every meta command and flag against a real server, byte for byte (the
// same table oracle.test.ts checks against memcached 1.6.18).

import t from 'tap';
import { startTestServer } from './helpers/server.js';
import { runCase } from './helpers/cases.js';
import { META_CASES } from './cases/meta-cases.js';

t.test('meta protocol exchanges', async (t) => {
  // Frozen at start: TTLs in the tables (t100 after T100) must not depend on
  // the wall clock crossing a second between two requests. No case waits.
  const startMs = Date.now();
  const { port } = await startTestServer(t, {}, { clock: { nowMs: () => startMs } });
  for (const c of META_CASES) {
    await t.test(c.name, (t) => runCase(t, port, c));
  }
});
