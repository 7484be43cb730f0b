// Replays the exchange tables against the real memcached 1.6.18, so the
// bytes our server is held to are memcached's, not our reading of its docs.
// Skipped when memcached 1.6.18 is not installed (CI installs it and requires it).

import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMemcached } from './helpers/memcached.js';
import { needs } from '../peers.js';
import { runCase } from './helpers/cases.js';
import { TEXT_CASES } from './cases/text-cases.js';
import { META_CASES } from './cases/meta-cases.js';
import { AUTH_CASES, AUTH_FILE_TEXT } from './cases/auth-cases.js';

t.test('memcached answers the text and meta tables as written', needs('memcached-oracle'), async (t) => {
  const mc = await startMemcached();
  t.teardown(() => mc.stop());
  for (const c of [...TEXT_CASES, ...META_CASES]) {
    if (c.oursOnly !== undefined) continue;
    await t.test(c.name, (t) => runCase(t, mc.path, c));
  }
});

t.test('memcached -Y answers the auth table as written', needs('memcached-oracle'), async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'gac-auth-')), 'authfile');
  writeFileSync(file, AUTH_FILE_TEXT);
  const mc = await startMemcached(['-Y', file]);
  t.teardown(() => mc.stop());
  for (const c of AUTH_CASES) {
    if (c.oursOnly !== undefined) continue;
    await t.test(c.name, (t) => runCase(t, mc.path, c));
  }
});
