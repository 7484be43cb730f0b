// `stats detail`: per-prefix counts of gets, hits, sets and deletes, as
// memcached's stats_prefix.c keeps them. A key's prefix is everything
// before the first delimiter byte (-D, default ':'); keys without one are
// not counted. Counting is off until `stats detail on` (or -D).
//
// Bounded, unlike memcached: at most MAX_PREFIXES distinct prefixes are
// tracked; keys with a new prefix beyond that are not counted (and counted
// in `untracked`), so a client inventing prefixes cannot grow memory.
// The request path only tests settings.detailEnabled when counting is off.

/** Distinct prefixes tracked at most. */
export const MAX_PREFIXES = 10_000;

interface Counts {
  get: number;
  hit: number;
  set: number;
  del: number;
}

export class PrefixStats {
  /** Keys whose prefix was new when MAX_PREFIXES were already tracked. */
  untracked = 0;
  private readonly byPrefix = new Map<string, Counts>();

  constructor(
    private delimiter: number,
    private readonly limit = MAX_PREFIXES,
  ) {}

  setDelimiter(delimiter: string): void {
    this.delimiter = delimiter.charCodeAt(0);
  }

  recordGet(key: Uint8Array, hit: boolean): void {
    const c = this.countsFor(key);
    if (c === undefined) return;
    c.get++;
    if (hit) c.hit++;
  }

  recordSet(key: Uint8Array): void {
    const c = this.countsFor(key);
    if (c !== undefined) c.set++;
  }

  recordDelete(key: Uint8Array): void {
    const c = this.countsFor(key);
    if (c !== undefined) c.del++;
  }

  /** memcached's dump: `PREFIX <p> get <n> hit <n> set <n> del <n>` lines, then END (no final CRLF). */
  dump(): string {
    let s = '';
    for (const [prefix, c] of this.byPrefix) s += `PREFIX ${prefix} get ${c.get} hit ${c.hit} set ${c.set} del ${c.del}\r\n`;
    return s + 'END';
  }

  clear(): void {
    this.byPrefix.clear();
    this.untracked = 0;
  }

  get size(): number {
    return this.byPrefix.size;
  }

  private countsFor(key: Uint8Array): Counts | undefined {
    // memcached stops at a NUL byte as well as at the delimiter.
    let n = 0;
    while (n < key.length && key[n] !== this.delimiter) {
      if (key[n] === 0) return undefined;
      n++;
    }
    if (n === key.length) return undefined;
    const prefix = Buffer.from(key.buffer, key.byteOffset, n).toString('latin1');
    let c = this.byPrefix.get(prefix);
    if (c === undefined) {
      if (this.byPrefix.size >= this.limit) {
        this.untracked++;
        return undefined;
      }
      c = { get: 0, hit: 0, set: 0, del: 0 };
      this.byPrefix.set(prefix, c);
    }
    return c;
  }
}
