// npm test's runner: tap with the arguments given, then one closing line that
// names the optional peers whose tests were skipped and the command that
// installs them (test/peers.ts records each skip in the file this script
// names in GROW_A_CACHE_PEER_LOG). Exits with tap's status; under
// GROW_A_CACHE_REQUIRE_PEERS=1 (CI) a skipped peer is a failure too.
// Not a test harness: tap does the running, counting and coverage.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSkips, summaryLine } from './peer-summary.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'gac-peers-'));
const log = join(dir, 'skips.jsonl');

const tap = spawnSync(join(root, 'node_modules', '.bin', 'tap'), process.argv.slice(2), {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, GROW_A_CACHE_PEER_LOG: log },
});
let status = tap.status ?? 1;
if (tap.error !== undefined) {
  console.error(`could not run tap: ${tap.error.message}`);
  status = 1;
}

const skips = readSkips(log);
rmSync(dir, { recursive: true, force: true });
console.log(summaryLine(skips));
if (skips.length > 0 && process.env.GROW_A_CACHE_REQUIRE_PEERS === '1' && status === 0) {
  console.error('GROW_A_CACHE_REQUIRE_PEERS=1: every peer test must run');
  status = 1;
}
process.exit(status);
