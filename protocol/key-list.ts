// The keys of a get request, kept as a range of the request line instead of
// an array of Buffers.
//
// A text get line may be 4 MiB long: two million 1-byte keys. One Buffer view
// per key, all alive at once, cost ~250 MB of heap for that single request;
// a KeyList costs the same few fields whatever the line holds, and the
// responder makes each key's view only when it looks the key up (a view that
// dies young, cheap for the scavenger).
//
// Text keys are the space-separated tokens of source[start, end) (memcached
// splits on the space byte only). A binary request has exactly one key, which
// may itself contain spaces, so it is held whole (`spaced` false).

const SPACE = 0x20;

export class KeyList implements Iterable<Buffer> {
  private constructor(
    /** The buffer the keys are in (usually the connection's read buffer). */
    readonly source: Buffer,
    /** First byte of the key range. */
    readonly start: number,
    /** End (exclusive) of the key range. */
    readonly end: number,
    /** How many keys the range holds. */
    readonly length: number,
    /** Keys are split on spaces (text); otherwise the range is one key (binary). */
    private readonly spaced: boolean,
  ) {}

  /**
   * The space-separated keys of source[start, end), of which the parser
   * counted `count` (and checked each one's length).
   */
  static spaced(source: Buffer, start: number, end: number, count: number): KeyList {
    return new KeyList(source, start, end, count, true);
  }

  /** Exactly one key, spaces and all. */
  static single(key: Buffer): KeyList {
    return new KeyList(key, 0, key.length, 1, false);
  }

  /** Text keys given as strings (tests, tools): joined with spaces and split again. */
  static fromStrings(keys: readonly string[]): KeyList {
    const line = Buffer.from(keys.join(' '), 'latin1');
    return KeyList.spaced(line, 0, line.length, keys.length);
  }

  // Cursor API for hot loops, allocation-free:
  //   for (let s = keys.firstStart(); s < keys.end; ) {
  //     const e = keys.keyEnd(s); ...source[s, e)...; s = keys.nextStart(e);
  //   }

  /** Where the first key starts; `end` when there is none. */
  firstStart(): number {
    return this.nextStart(this.start);
  }

  /** Where the next key starts at or after `from`; `end` when there is none. */
  nextStart(from: number): number {
    if (!this.spaced) return from;
    const source = this.source;
    const end = this.end;
    while (from < end && source[from] === SPACE) from++;
    return from;
  }

  /** End (exclusive) of the key starting at `from`. */
  keyEnd(from: number): number {
    if (!this.spaced) return this.end;
    const source = this.source;
    const end = this.end;
    while (from < end && source[from] !== SPACE) from++;
    return from;
  }

  /** The first key, or undefined when there is none. */
  first(): Buffer | undefined {
    const s = this.firstStart();
    return s < this.end ? this.source.subarray(s, this.keyEnd(s)) : undefined;
  }

  *[Symbol.iterator](): Iterator<Buffer> {
    for (let s = this.firstStart(); s < this.end; ) {
      const e = this.keyEnd(s);
      yield this.source.subarray(s, e);
      s = this.nextStart(e);
    }
  }

  /**
   * The keys from byte `from` (a key start) on, copied out of the source so
   * they outlive the read buffer: the rest of a get whose reply had to wait.
   */
  rest(from: number): KeyList {
    const copy = Buffer.from(this.source.subarray(from, this.end));
    if (!this.spaced) return new KeyList(copy, 0, copy.length, from < this.end ? 1 : 0, false);
    let count = 0;
    const list = KeyList.spaced(copy, 0, copy.length, 0);
    for (let s = list.firstStart(); s < list.end; s = list.nextStart(list.keyEnd(s))) count++;
    return KeyList.spaced(copy, 0, copy.length, count);
  }

  /** The keys as strings (latin1); for logs and tests, not the hot path. */
  toStrings(): string[] {
    return Array.from(this, (key) => key.toString('latin1'));
  }
}
