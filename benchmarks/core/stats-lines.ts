// Parse memcached `stats` replies (`STAT <name> <value>\r\n` ... `END\r\n`)
// into a name -> value map, and read numbers out of it.

/** Parse the text of a stats reply. Lines that are not `STAT name value` are ignored. */
export function parseStatsReply(text: string): Map<string, string> {
  const stats = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith('STAT ')) continue;
    const space = line.indexOf(' ', 5);
    if (space < 0) continue;
    stats.set(line.slice(5, space), line.slice(space + 1));
  }
  return stats;
}

/** A stat as a number; NaN when absent or not numeric. */
export function statNumber(stats: ReadonlyMap<string, string>, name: string): number {
  const v = stats.get(name);
  if (v === undefined || v.trim() === '') return NaN;
  return Number(v);
}

/**
 * The first stat whose name matches one of `patterns`, as a number, with
 * its name. Our server's Segcache fields are found by pattern so the suite
 * does not break when a field is renamed; NaN and '' when none matches.
 */
export function findStat(stats: ReadonlyMap<string, string>, patterns: readonly RegExp[]): { name: string; value: number } {
  for (const re of patterns) {
    for (const [name, value] of stats) {
      if (re.test(name) && value.trim() !== '' && Number.isFinite(Number(value))) return { name, value: Number(value) };
    }
  }
  return { name: '', value: NaN };
}
