// Counts memcached text replies in a byte stream without building objects:
// the throughput generator only needs to know when each reply is complete
// and how many values a get returned. Replies arrive in request order, so
// the caller announces each request's kind and reads completions back.

export const KIND_GET = 0;
export const KIND_SET = 1;

const LF = 10;
const CR = 13;
const MAX_PARTIAL = 8192;

export class ReplyScanner {
  /** Kinds of requests in flight, a ring of `capacity`. */
  private readonly kinds: Uint8Array;
  private head = 0;
  private count = 0;
  /** Bytes of a value block (plus CRLF) still to skip. */
  private skip = 0;
  /** A line split across reads. */
  private partial: Buffer | null = null;

  /** Values seen by completed get replies (hits). */
  values = 0;
  /** Replies that were not the expected success (e.g. SERVER_ERROR on set). */
  errors = 0;
  /** Last unexpected line, for diagnostics. */
  lastError = '';

  constructor(readonly capacity: number) {
    this.kinds = new Uint8Array(capacity);
  }

  get inFlight(): number {
    return this.count;
  }

  /** Announce a request sent; throws when more than `capacity` are in flight. */
  push(kind: number): void {
    if (this.count === this.capacity) throw new Error('too many requests in flight');
    this.kinds[(this.head + this.count) % this.capacity] = kind;
    this.count++;
  }

  /** Scan received bytes; returns how many replies completed. */
  scan(chunk: Buffer): number {
    let buf = chunk;
    if (this.partial !== null) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    let pos = 0;
    let done = 0;
    const len = buf.length;
    while (pos < len) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      if (this.count === 0) throw new Error('reply bytes with no request in flight');
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) {
        if (len - pos > MAX_PARTIAL) throw new Error('reply line too long');
        this.partial = Buffer.from(buf.subarray(pos));
        break;
      }
      const first = buf[pos]!;
      const kind = this.kinds[this.head]!;
      if (kind === KIND_GET) {
        if (first === 86 /* V */) {
          this.values++;
          this.skip = valueBytes(buf, pos, nl) + 2;
        } else {
          // END, or an error line that ends the reply.
          if (first !== 69 /* E */ || buf[pos + 1] !== 78 /* N */) this.noteError(buf, pos, nl);
          this.complete();
          done++;
        }
      } else {
        if (first !== 83 /* S */ || buf[pos + 1] !== 84 /* T */) this.noteError(buf, pos, nl);
        this.complete();
        done++;
      }
      pos = nl + 1;
    }
    return done;
  }

  private complete(): void {
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }

  private noteError(buf: Buffer, start: number, nl: number): void {
    this.errors++;
    this.lastError = buf.toString('latin1', start, nl > start && buf[nl - 1] === CR ? nl - 1 : nl);
  }
}

/** The <bytes> field of the `VALUE <key> <flags> <bytes>[ <cas>]` line from `start` to `nl`. */
export function valueBytes(buf: Buffer, start: number, nl: number): number {
  const afterKey = buf.indexOf(32, start + 6); // "VALUE " then the key
  const afterFlags = afterKey < 0 || afterKey >= nl ? -1 : buf.indexOf(32, afterKey + 1);
  if (afterFlags < 0 || afterFlags + 1 >= nl) throw new Error(`bad VALUE line: ${buf.toString('latin1', start, nl)}`);
  let n = 0;
  for (let i = afterFlags + 1; i < nl; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}
