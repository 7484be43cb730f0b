// Types for scripts/peer-summary.mjs (plain JS so npm test can run it unbuilt).

/** One skipped test, as test/peers.ts records it. */
export interface SkipRecord {
  labels: string[];
  pkgs: string[];
  reason: string;
  file: string;
}

export function readSkips(file: string): SkipRecord[];
export function summaryLine(skips: SkipRecord[]): string;
