// Every text command against a real server, byte for byte (the same table
// oracle.test.ts checks against memcached 1.6.18).

import t from 'tap';
import { startTestServer } from './helpers/server.js';
import { runCase } from './helpers/cases.js';
import { TEXT_CASES } from './cases/text-cases.js';

t.test('text protocol exchanges', async (t) => {
  const { port } = await startTestServer(t);
  for (const c of TEXT_CASES) {
    await t.test(c.name, (t) => runCase(t, port, c));
  }
});
