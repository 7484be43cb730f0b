// The closing line of `npm test`: which optional peers had tests skipped and
// the one command that installs them, read from the skip log test/peers.ts
// writes. Pure formatting and reading; scripts/test.mjs prints it.

import { existsSync, readFileSync } from 'node:fs';

/** The skip records in `file` (one JSON object a line); none when it does not exist. */
export function readSkips(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** One line: `skipped peers: none`, or the peers, the test count and the apt-get command. */
export function summaryLine(skips) {
  const labels = [...new Set(skips.flatMap((s) => s.labels))].sort();
  if (labels.length === 0) return 'skipped peers: none';
  const packages = [...new Set(skips.flatMap((s) => s.pkgs))].sort();
  const tests = skips.length === 1 ? '1 test' : `${skips.length} tests`;
  return `skipped peers: ${labels.join(', ')} (${tests}) — install with: sudo apt-get install -y ${packages.join(' ')}`;
}
